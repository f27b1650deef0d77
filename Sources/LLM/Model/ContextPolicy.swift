/// How many positions a model gets when it is opened: the one rule the engine, the chat's
/// settings and the session's default share.
public enum ContextPolicy {
    /// The default cap: a model trained on more positions gets this many unless asked.
    public static let defaultCap = 4096

    /// The context for a model trained on `trained` positions when `asked` for (nil: the
    /// trained length capped at `defaultCap`); never more than the trained length.
    public static func contextLength(asked: Int?, trained: Int) -> Int {
        min(asked ?? min(trained, defaultCap), trained)
    }
}
