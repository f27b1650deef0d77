import GGUF

/// Everything that can go wrong loading or running a model, worded for the user.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingArchitecture
    case unknownArchitecture(String, supported: [String])
    case missingHyperparameter(String)
    case invalidHyperparameter(key: String, value: String, reason: String)
    case missingTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    case unsupportedTensorType(name: String, type: GGMLType)
    case unsupportedRopeScaling(String)
    case contextOverflow(requested: Int, capacity: Int)
    case invalidPosition(requested: Int, cached: Int)
    case invalidToken(Int32, vocabularySize: Int)
    case file(String)

    public var description: String {
        switch self {
        case .missingArchitecture:
            return "the file has no 'general.architecture' key"
        case .unknownArchitecture(let name, let supported):
            return "unknown architecture '\(name)' (supported: \(supported.joined(separator: ", ")))"
        case .missingHyperparameter(let key):
            return "missing hyperparameter '\(key)'"
        case .invalidHyperparameter(let key, let value, let reason):
            return "invalid hyperparameter '\(key)' = \(value): \(reason)"
        case .missingTensor(let name):
            return "missing tensor '\(name)'"
        case .tensorShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let name, let type):
            return "tensor '\(name)' has type \(type), which quantty cannot compute with yet"
        case .unsupportedRopeScaling(let kind):
            return "unsupported rope scaling '\(kind)' (supported: none, linear)"
        case .contextOverflow(let requested, let capacity):
            return "context overflow: \(requested) positions needed, the KV cache holds \(capacity)"
        case .invalidPosition(let requested, let cached):
            return "cannot start at position \(requested): the KV cache holds \(cached) positions"
        case .invalidToken(let id, let vocab):
            return "token id \(id) is outside the vocabulary (0..<\(vocab))"
        case .file(let message):
            return message
        }
    }
}
