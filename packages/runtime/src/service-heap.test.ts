import { hasHeapSize, nodeOptionsOf, SERVICE_HEAP } from './service-heap.js';

describe('service heap settings', () => {
  it('finds a heap size on the command line or in NODE_OPTIONS, in either spelling', () => {
    expect(hasHeapSize(['--max-old-space-size=300'], undefined)).toBe(true);
    expect(hasHeapSize([], '--inspect  --max_old_space_size=300')).toBe(true);
    expect(hasHeapSize(['--max-semi-space-size=8', '--inspect'], '--enable-source-maps')).toBe(false);
    expect(hasHeapSize([], '')).toBe(false);
  });

  it('gives every service a heap size, as one NODE_OPTIONS value', () => {
    for (const service of Object.keys(SERVICE_HEAP) as Array<keyof typeof SERVICE_HEAP>) {
      expect(hasHeapSize([], nodeOptionsOf(service))).toBe(true);
    }
    expect(nodeOptionsOf('dashboard')).toBe('--max-old-space-size=128 --max-semi-space-size=4');
  });
});
