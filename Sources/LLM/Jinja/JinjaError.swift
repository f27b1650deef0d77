/// Why a chat template could not be parsed or rendered.
public enum JinjaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template text is not valid Jinja (line numbers count from 1).
    case syntax(String, line: Int)
    /// JSON given to the template (messages, variables) is not valid.
    case json(String, line: Int)
    /// Rendering failed: a type error, an undefined attribute, an unknown filter...
    case runtime(String)
    /// The template called `raise_exception(message)`.
    case raised(String)
    /// The template went past one of its `JinjaLimits`.
    case limitExceeded(JinjaLimits.Kind, limit: Int)

    public var description: String {
        switch self {
        case .syntax(let m, let line): "template syntax error at line \(line): \(m)"
        case .json(let m, let line): "invalid JSON at line \(line): \(m)"
        case .runtime(let m): "template error: \(m)"
        case .raised(let m): "the template raised an exception: \(m)"
        case .limitExceeded(let kind, let limit):
            "the template went past its \(kind.rawValue) limit (\(limit)\(kind.unit)); it loops, recurses or grows without end"
        }
    }
}

/// Bounds on the work one template may do, so a hostile or broken template (from an
/// untrusted GGUF) stops with an error instead of hanging or exhausting memory.
public struct JinjaLimits: Sendable, Equatable {
    /// Which limit a template went past.
    public enum Kind: String, Sendable {
        case steps, time, depth
        case outputSize = "output size"
        case sourceSize = "source size"

        var unit: String {
            switch self {
            case .steps: " steps"
            case .time: " ms"
            case .depth: " levels"
            case .outputSize, .sourceSize: " bytes"
            }
        }
    }

    /// Statements, expressions and loop iterations evaluated (items of built lists count too).
    public var maxSteps: Int = 5_000_000
    /// Wall-clock budget of one render, in milliseconds.
    public var maxMilliseconds: Int = 5_000
    /// Nesting of macro calls, and of statements and expressions in the source.
    public var maxDepth: Int = 200
    /// Bytes of rendered text, and of any single string or list built along the way.
    public var maxOutputBytes: Int = 64 << 20
    /// Bytes of template source accepted by the parser.
    public var maxSourceBytes: Int = 4 << 20
    /// Nesting of lists, dicts and namespaces a template may build (deeper values would make
    /// printing, comparing and freeing them recurse without bound).
    public var maxValueDepth: Int = 512

    public init() {}

    public init(maxSteps: Int = 5_000_000, maxMilliseconds: Int = 5_000, maxDepth: Int = 200,
                maxOutputBytes: Int = 64 << 20, maxSourceBytes: Int = 4 << 20) {
        self.maxSteps = maxSteps; self.maxMilliseconds = maxMilliseconds; self.maxDepth = maxDepth
        self.maxOutputBytes = maxOutputBytes; self.maxSourceBytes = maxSourceBytes
    }
}
