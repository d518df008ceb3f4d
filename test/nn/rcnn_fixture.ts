/** R-CNN test configs: slimprune's copies of PaddleDetection's real ones, with -o style overrides. */
import * as path from 'path';
import { readConfig } from '../../src/config';

const CONFIGS = path.join(__dirname, '..', '..', 'configs');

export const rcnnConfig = (name: string, overrides: string[] = []) => readConfig(path.join(CONFIGS, name), overrides) as unknown as Record<string, unknown>;

/** Small proposal and sampling counts so that a CPU runs the R50 heads in seconds. */
export const SMALL_RCNN = [
  'RPNHead.test_proposal.post_nms_top_n=6', 'RPNHead.test_proposal.pre_nms_top_n=50',
  'RPNHead.train_proposal.post_nms_top_n=16', 'RPNHead.train_proposal.pre_nms_top_n=100',
  'BBoxAssigner.batch_size_per_im=8', 'RPNHead.rpn_target_assign.rpn_batch_size_per_im=32',
];
