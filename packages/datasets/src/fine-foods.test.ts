import { parseFineFoodsExport } from './fine-foods';

describe('parseFineFoodsExport', () => {
  it('reads the version line and numbers rows per part', () => {
    const text = [
      '1.1.0',
      '{"part":"training_data","product":"B001","score":"great","review":" Says \\"yum\\"\\nTwice "}',
      '{"part":"testing_data","product":"B002","score":"other","review":"meh"}',
      '{"part":"training_data","product":"B003","score":"other","review":"R\\u00e9verie"}',
      '',
    ].join('\n');
    expect(parseFineFoodsExport(text)).toEqual({
      version: '1.1.0',
      train: [
        { id: 'train-0001', input: 'Says "yum"\nTwice', label: 'great', product: 'B001' },
        { id: 'train-0002', input: 'Réverie', label: 'other', product: 'B003' },
      ],
      test: [{ id: 'test-0001', input: 'meh', label: 'other', product: 'B002' }],
    });
  });
});
