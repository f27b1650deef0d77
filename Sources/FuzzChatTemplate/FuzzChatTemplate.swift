// libFuzzer target: chat templates. The input is split at NUL bytes: template text (for
// detection and the default system prompt), an architecture or override name, then messages
// whose first byte picks the role. Every family renders the conversation.
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
    return 0
}

// SwiftPM links this executable's `main` as `FuzzChatTemplate_main`: libFuzzer's driver takes over.
@_cdecl("FuzzChatTemplate_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
