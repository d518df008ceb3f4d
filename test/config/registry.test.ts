// The registry: one entry per component, each default valid against its own field types.
import { REGISTRY, componentsOfKind, resolveConfig } from '../../src/config';

describe('component registry', () => {
  test('has the components PaddleDetection configs name', () => {
    for (const n of ['YOLOv3', 'FasterRCNN', 'MaskRCNN', 'CascadeRCNN', 'MobileNet', 'DarkNet', 'ResNet', 'ResNetC5', 'YOLOv3Head', 'RPNHead', 'BBoxHead', 'MaskHead', 'YOLOv3Loss', 'MultiClassNMS', 'PiecewiseDecay', 'LinearWarmup', 'LearningRate', 'OptimizerBuilder', 'VOCDataSet', 'COCODataSet', 'ImageFolder', 'TrainReader']) {
      expect(REGISTRY.has(n)).toBe(true);
    }
  });

  test('every entry has a name, a kind, typed fields and an availability flag', () => {
    for (const [name, def] of REGISTRY) {
      expect(def.name).toBe(name);
      expect(typeof def.kind).toBe('string');
      expect(typeof def.available).toBe('boolean');
      for (const f of Object.values(def.fields)) expect(f.required || 'default' in f).toBe(true);
    }
  });

  test('YOLOv3, Faster and Mask R-CNN are the buildable architectures', () => {
    const archs = componentsOfKind('architecture');
    expect(archs.filter((a) => a.available).map((a) => a.name)).toEqual(['YOLOv3', 'FasterRCNN', 'MaskRCNN']);
  });

  test("every component's defaults pass its own type checks", () => {
    for (const def of REGISTRY.values()) {
      if (def.kind === 'architecture' || def.kind === 'reader' || def.kind === 'optim') continue;
      const required = Object.entries(def.fields).filter(([, f]) => f.required).map(([k]) => k);
      // Components without required fields resolve from their defaults alone, as a top-level section.
      if (required.length) continue;
      const cfg = resolveConfig({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, [def.name]: {} });
      expect(cfg).toBeTruthy();
    }
    // ... and every architecture with its required parts named.
    for (const [arch, parts] of Object.entries({
      FasterRCNN: { backbone: 'ResNet', rpn_head: 'RPNHead', roi_extractor: 'RoIAlign' },
      MaskRCNN: { backbone: 'ResNet', rpn_head: 'RPNHead' },
      CascadeRCNN: { backbone: 'ResNet', rpn_head: 'FPNRPNHead' },
    })) {
      const cfg = resolveConfig({ architecture: arch, [arch]: parts, BBoxHead: { head: 'ResNetC5' }, CascadeBBoxHead: { head: 'CascadeTwoFCHead' } });
      expect(cfg.model.__type__).toBe(arch);
    }
  });
});
