// onnxruntime-node checks `data instanceof Float32Array` against the host realm's constructors, but jest
// runs each test file in its own realm; handing the host's typed arrays to the sandbox makes both agree.
const { TestEnvironment } = require('jest-environment-node');

const shared = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array',
  'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer',
];

class NodeHostRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of shared) this.global[name] = globalThis[name];
  }
}

module.exports = NodeHostRealmEnvironment;
