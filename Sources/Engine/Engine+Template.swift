import LLM

extension Engine {
    /// The prompt text the open model's chat template makes of `messages` (with the generation
    /// prompt), and a one-line warning when the model's own template failed on them and the
    /// family's format was used instead. What `generate(.chat(messages))` reads, before trimming.
    public func chatPrompt(_ messages: [ChatMessage], templateVariables: [String: JinjaValue] = [:]) throws
        -> (text: String, warning: String?) {
        guard let m = current else { throw EngineError.noModel }
        return m.template.renderReporting(messages, addGenerationPrompt: true, variables: templateVariables)
    }
}
