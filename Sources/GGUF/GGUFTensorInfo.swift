/// One tensor's description from the GGUF header.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `shape[0]` is the row width (contiguous), `shape[1]` the number of rows, ...
    public let shape: [Int]
    public let type: GGMLType
    /// Offset from the start of the data section.
    public let offset: Int
    /// Bytes of tensor data.
    public let byteCount: Int

    public init(name: String, shape: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name; self.shape = shape; self.type = type; self.offset = offset; self.byteCount = byteCount
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Row width (`ne0`).
    public var rowWidth: Int { shape.first ?? 1 }
    /// Number of rows (product of all dimensions past the first).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes in one row.
    public var rowBytes: Int { rowWidth / type.blockSize * type.typeSize }
}
