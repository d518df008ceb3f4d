/**
 * Dataset sources. Paths: `dataset_dir` is the root; `anno_path` and `image_dir` are relative
 * to it. VOC's anno_path is a list file of `<image> <xml>` lines; COCO's is an instances JSON;
 * ImageFolder lists images to run inference on. with_background: class ids start at 1 (0 is
 * background) when true; YOLOv3 configs set it false.
 */
import { table, f, int, bool, str, nullable } from '../schema';

const source = {
  dataset_dir: f(nullable(str()), null),
  image_dir: f(nullable(str()), null),
  anno_path: f(nullable(str()), null),
  sample_num: f(int(), -1),
  with_background: f(bool(), true),
};

export const DATASETS = table('dataset', {
  COCODataSet: { ...source, load_semantic: f(bool(), false) },
  VOCDataSet: { ...source, use_default_label: f(bool(), false), label_list: f(str(), 'label_list.txt') },
  ImageFolder: { ...source, use_default_label: f(nullable(bool()), null) },
});
