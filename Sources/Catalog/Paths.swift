import Foundation

/// Where quantty keeps things, following the XDG base directory spec.
public struct Paths: Sendable {
    public var cacheHome: String
    public var dataHome: String
    public var configHome: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func dir(_ key: String, _ fallback: String) -> String {
            if let v = environment[key], v.hasPrefix("/") { return v }
            return home + "/" + fallback
        }
        cacheHome = dir("XDG_CACHE_HOME", ".cache")
        dataHome = dir("XDG_DATA_HOME", ".local/share")
        configHome = dir("XDG_CONFIG_HOME", ".config")
    }

    /// `$XDG_CACHE_HOME/quantty/models`: downloaded and derived model files.
    public var modelsDirectory: String { cacheHome + "/quantty/models" }
    /// `$XDG_DATA_HOME/quantty`: chat history.
    public var dataDirectory: String { dataHome + "/quantty" }
    /// `$XDG_CONFIG_HOME/quantty/models.toml`.
    public var userCatalog: String { configHome + "/quantty/models.toml" }
    /// The Hugging Face hub cache, searched for GGUF files when present.
    public var huggingFaceHub: String { cacheHome + "/huggingface/hub" }
}
