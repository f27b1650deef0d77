// libFuzzer target: chat templates. The input is split at NUL bytes: template text (for
// detection, the default system prompt, and the Jinja interpreter), an architecture or override
// name, then messages whose first byte picks the role. Every family renders the conversation;
// the template text is parsed and rendered as Jinja under small limits, and the reply splitter
// reads it as model output.
// Built by `make fuzz` only.
import FuzzSupport
import LLM


@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let flags = data[0]
    let parts = UnsafeBufferPointer(start: data + 1, count: size - 1)
        .split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let templateText: String? = parts.first
    let name: String? = parts.count > 1 ? parts[1] : nil
    let roles = ChatRole.allCases
    let messages: [ChatMessage] = parts.dropFirst(2).map { p in
        let role = roles[Int(p.utf8.first ?? 0) % roles.count]
        return ChatMessage(role: role, content: String(p.dropFirst()))
    }
    let add = flags & 1 != 0

    blackHole(ChatTemplate.detect(from: templateText))
    let fromText = ChatTemplate(templateText: templateText, architecture: name)
    blackHole(fromText.render(messages, addGenerationPrompt: add))
    blackHole(fromText.endOfTurnStrings)
    if let name {
        blackHole(ChatTemplateFamily(name: name))
        if let t = try? ChatTemplate(templateText: templateText, architecture: nil, override: name) {
            blackHole(t.render(messages, addGenerationPrompt: add))
        }
    }
    // One family per input (all of them over a run), chosen by the high bits of the flags.
    let families = ChatTemplateFamily.allCases
    let family = families[Int(flags >> 3) % families.count]
    var t = ChatTemplate(family: family, defaultSystemPrompt: flags & 2 != 0 ? templateText : nil)
    if flags & 4 != 0 { t.eosToken = name }
    let s = t.render(messages, addGenerationPrompt: add)
    blackHole((s, t.endOfTurnStrings, family.hasSystemRole, family.honorsGenerationPrompt))
    precondition(ChatTemplateFamily(name: family.rawValue) == family)

    // The Jinja interpreter: any text either parses or throws; rendering stops within its limits.
    if let text = templateText {
        let limits = JinjaLimits(maxSteps: 200_000, maxMilliseconds: 2_000, maxDepth: 64, maxOutputBytes: 1 << 20)
        if let jinja = try? JinjaTemplate(text, limits: limits) {
            var j = ChatTemplate(family: family, source: .templateText, jinja: jinja)
            j.bosToken = name
            j.eosToken = name
            let variables: [String: JinjaValue] = flags & 2 != 0 ? ["enable_thinking": .bool(flags & 4 != 0)] : [:]
            blackHole(j.renderReporting(messages, addGenerationPrompt: add, variables: variables))
        }
        blackHole(try? JinjaValue.parseJSON(text))
        let reply = ReasonedReply(text, startsInsideThinking: flags & 4 != 0)
        blackHole(reply.message)
    }
    return 0
}

// SwiftPM links this executable's `main` as `FuzzChatTemplate_main`: libFuzzer's driver takes over.
@_cdecl("FuzzChatTemplate_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
