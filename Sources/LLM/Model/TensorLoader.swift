import GGUF

/// A 1-D float weight (norm scales, biases): a view into the mapping when the file stores F32,
/// otherwise a small converted copy that this value keeps alive.
struct WeightVector: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    let count: Int
    private let owner: ScratchBuffer<Float>?

    init(pointer: UnsafePointer<Float>, count: Int, owner: ScratchBuffer<Float>? = nil) {
        self.pointer = pointer; self.count = count; self.owner = owner
    }
}

/// Looks tensors up by name, checks shapes and types, and hands out views.
struct TensorLoader {
    let file: GGUFFile

    func has(_ name: String) -> Bool { file.tensorInfo(name) != nil }

    private func info(_ name: String) throws(ModelError) -> GGUFTensorInfo {
        guard let i = file.tensorInfo(name) else { throw .missingTensor(name) }
        return i
    }

    /// A matrix of `rows` rows of `cols` (ggml shape `[cols, rows]`).
    func matrix(_ name: String, cols: Int, rows: Int) throws(ModelError) -> WeightMatrix {
        let i = try info(name)
        guard i.shape.count == 2 || (i.shape.count > 2 && i.shape.dropFirst(2).allSatisfy { $0 == 1 }),
              i.shape[0] == cols, i.shape[1] == rows else {
            throw .tensorShape(name: name, expected: [cols, rows], found: i.shape)
        }
        guard let kernel = WeightKernel.forType(i.type), cols % i.type.blockSize == 0 else {
            throw .unsupportedTensorType(name: name, type: i.type)
        }
        let data = file.tensorData(i)
        return WeightMatrix(name: name, type: i.type, cols: cols, rows: rows, data: data.baseAddress!,
                            rowBytes: i.rowBytes, kernel: kernel)
    }

    func optionalMatrix(_ name: String, cols: Int, rows: Int) throws(ModelError) -> WeightMatrix? {
        has(name) ? try matrix(name, cols: cols, rows: rows) : nil
    }

    /// A vector of `count` floats.
    func vector(_ name: String, count: Int) throws(ModelError) -> WeightVector {
        let i = try info(name)
        guard i.elementCount == count, i.shape.first == count else {
            throw .tensorShape(name: name, expected: [count], found: i.shape)
        }
        let data = file.tensorData(i)
        if i.type == .f32 {
            return WeightVector(pointer: data.baseAddress!.assumingMemoryBound(to: Float.self), count: count)
        }
        guard let kernel = WeightKernel.forType(i.type), count % i.type.blockSize == 0 else {
            throw .unsupportedTensorType(name: name, type: i.type)
        }
        let copy = ScratchBuffer<Float>(count: count)
        kernel.dequantize(data.baseAddress!, copy.pointer, count)
        return WeightVector(pointer: UnsafePointer(copy.pointer), count: count, owner: copy)
    }

    func optionalVector(_ name: String, count: Int) throws(ModelError) -> WeightVector? {
        has(name) ? try vector(name, count: count) : nil
    }
}
