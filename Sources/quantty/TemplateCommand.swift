import ArgumentParser
import Foundation
import GGUF
import LLM

/// `quantty template`: the prompt a chat template makes of a conversation, for checking and
/// scripting. The model's own template runs through quantty's Jinja interpreter, as `run --chat`
/// and the chat do; `--template FILE` renders any template file instead.
struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Print the prompt a chat template renders for a conversation.",
        discussion: """
            The output is the template's text as transformers' apply_chat_template renders it, BOS \
            text included (run --chat drops a leading BOS text when the tokenizer adds the BOS \
            token itself). With -m, a model whose template fails, or whose catalog entry forces a \
            format with template = "...", prints that format instead, with a warning on stderr.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .customLong("model")], help: "A GGUF file, a catalog id or id:LEVEL: use its tokenizer.chat_template.")
    var model: String?
    @Option(name: .customLong("template"), help: "A Jinja template file to render instead of a model's.")
    var templateFile: String?
    @Option(name: .customLong("messages"), help: "A JSON file (- for stdin): an array of {\"role\", \"content\", ...} messages (or {\"messages\": [...]}).")
    var messagesFile: String
    @Flag(name: .customLong("no-generation-prompt"), help: "Render with add_generation_prompt false.")
    var noGenerationPrompt = false
    @Option(name: .customLong("bos"), help: "bos_token (default: the model's BOS text; with --template, empty).")
    var bos: String?
    @Option(name: .customLong("eos"), help: "eos_token (default: the model's EOS text; with --template, empty).")
    var eos: String?
    @Option(name: .customLong("var"), help: ArgumentHelp("A template variable, e.g. enable_thinking=false (repeatable).", valueName: "NAME=JSON"))
    var variables: [String] = []

    func validate() throws {
        if (model == nil) == (templateFile == nil) {
            throw ValidationError("give exactly one of -m MODEL and --template FILE")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let messages = try readMessages()
            var vars: [String: JinjaValue] = [:]
            for v in variables {
                let (name, value) = try Self.parseVariable(v)
                vars[name] = value
            }
            let addPrompt = !noGenerationPrompt
            if let templateFile {
                let text: String
                do { text = try String(contentsOfFile: templateFile, encoding: .utf8) } catch {
                    throw UserError("\(templateFile): cannot read the template (\(error.localizedDescription))")
                }
                do {
                    let t = try JinjaTemplate(text)
                    print(try Self.render(t, messages, addPrompt, bos: bos ?? "", eos: eos ?? "", vars), terminator: "")
                } catch {
                    throw UserError("\(templateFile): \(error)")
                }
                return
            }
            let chosen = try ChosenModel(try ModelOptions.parse(["-m", model!]), global: global)
            let file: GGUFFile
            do { file = try GGUFFile(path: chosen.path) } catch { throw UserError(fileMessage(error, path: chosen.path)) }
            let template: ChatTemplate
            do { template = try ChatTemplate(file: file, override: chosen.load.template) } catch { throw UserError(error) }
            if let w = template.warning { note("warning: \(w)") }
            if let jinja = template.jinja {
                do {
                    print(try Self.render(jinja, messages, addPrompt, bos: bos ?? template.bosToken ?? "",
                                          eos: eos ?? template.eosToken ?? "", vars), terminator: "")
                    return
                } catch {
                    note("warning: the model's chat template failed on this conversation (\(error)); printing the \(template.family.rawValue) format instead")
                }
            } else if !vars.isEmpty || bos != nil || eos != nil {
                note("warning: the \(template.family.rawValue) format takes no template variables; --var, --bos and --eos are ignored")
            }
            print(template.renderFamily(try chatMessages(messages), addGenerationPrompt: addPrompt), terminator: "")
        }
    }

    static func render(_ t: JinjaTemplate, _ messages: [JinjaValue], _ addPrompt: Bool, bos: String, eos: String,
                       _ variables: [String: JinjaValue]) throws -> String {
        var vars: [String: JinjaValue] = [
            "messages": .list(messages), "add_generation_prompt": .bool(addPrompt),
            "bos_token": .string(bos), "eos_token": .string(eos), "tools": .none,
        ]
        for (k, v) in variables { vars[k] = v }
        return try t.render(vars)
    }

    /// `NAME=JSON`: a template variable; the value is JSON (`true`, `"text"`, `[...]`).
    static func parseVariable(_ s: String) throws -> (String, JinjaValue) {
        guard let eq = s.firstIndex(of: "=") else { throw UserError("--var \(s): expected NAME=JSON, e.g. enable_thinking=false") }
        let name = String(s[..<eq])
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
              name.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0" ... "9").contains($0) }) else {
            throw UserError("--var \(s): '\(name)' is not a template variable name")
        }
        do { return (name, try JinjaValue.parseJSON(String(s[s.index(after: eq)...]))) } catch {
            throw UserError("--var \(s): the value is not JSON (\(error)); write strings in quotes: \(name)='\"text\"'")
        }
    }

    /// The messages file: a JSON array of objects with a string `role`, or an object with one.
    func readMessages() throws -> [JinjaValue] {
        // FileHandle reads pipes too (`--messages -`, `<(...)`), up to a bound.
        let handle = messagesFile == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: messagesFile)
        guard let handle else { throw UserError("\(messagesFile): cannot open the messages file") }
        let limit = 64 << 20
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
            throw UserError("\(messagesFile): cannot read the messages (\(error.localizedDescription))")
        }
        guard data.count <= limit else { throw UserError("\(messagesFile): larger than 64 MiB") }
        let value: JinjaValue
        do { value = try JinjaValue.parseJSON(String(decoding: data, as: UTF8.self)) } catch {
            throw UserError("\(messagesFile): not valid JSON (\(error))")
        }
        let list: [JinjaValue]
        switch value {
        case .list(let l): list = l
        case .dict(let d):
            guard case .list(let l)? = d["messages"] else { throw UserError("\(messagesFile): expected an array of messages or {\"messages\": [...]}") }
            list = l
        default: throw UserError("\(messagesFile): expected an array of messages or {\"messages\": [...]}")
        }
        for (i, m) in list.enumerated() {
            guard case .dict(let d) = m, case .string? = d["role"] else {
                throw UserError("\(messagesFile): message \(i) is not an object with a string \"role\"")
            }
        }
        return list
    }

    /// The messages as the built-in formats take them (system, user, assistant; text content).
    func chatMessages(_ list: [JinjaValue]) throws -> [ChatMessage] {
        try list.enumerated().map { i, m in
            guard case .dict(let d) = m, let role = d["role"]?.stringValue.flatMap(ChatRole.init(rawValue:)) else {
                throw UserError("\(messagesFile): message \(i): the built-in formats take only roles system, user and assistant")
            }
            let reasoning = d["reasoning_content"]?.stringValue
            return ChatMessage(role: role, content: d["content"]?.pythonString ?? "", reasoning: reasoning)
        }
    }
}
