import ArgumentParser
import Catalog
import Foundation
import TUI

/// `quantty` / `quantty chat`: the terminal app.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Open the chat (the default when no command is given).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var choice: ModelChoice
    @OptionGroup var threading: ThreadOptions
    @Option(help: "Colour theme: dark, light, high-contrast, or a theme file's name.") var theme: String?
    var model: ModelReference? { choice.model }
    var threads: Int { threading.threads }

    /// Why the chat cannot draw on the terminal `TERM` names, where curses would start anyway
    /// or say less: unset (the message points to `run --chat`), or `dumb` (no cursor movement).
    /// A type without a usable terminfo entry is `newterm`'s to find (`TerminalError`).
    static func terminalTypeProblem(_ env: [String: String]) -> String? {
        guard let term = env["TERM"], !term.isEmpty else {
            return "TERM is not set, so the chat cannot tell how to draw: set it to your terminal's type (e.g. TERM=xterm-256color), or use `quantty run --chat -p TEXT`"
        }
        if term == "dumb" {
            return "TERM=dumb cannot draw the chat (no cursor movement): run it in a terminal emulator (e.g. TERM=xterm-256color), or use `quantty run --chat -p TEXT`"
        }
        return nil
    }

    func run() async throws {
        try await reportingErrors {
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                throw UserError("the chat needs a terminal (stdin and stdout); for scripts use `quantty run --chat -p TEXT`")
            }
            if let problem = Self.terminalTypeProblem(ProcessInfo.processInfo.environment) { throw UserError(problem) }
            let catalog = try global.catalog()
            let backend = EngineBackend(catalog: catalog, threads: threads, quantizer: QuantizeCommand.catalogQuantizer(showProgress: false))
            var startRow = backend.defaultRow()
            if let model {
                let rows = await backend.models()
                let wanted = ((try? catalog.resolve(model).reference) ?? model).standardized
                guard let r = rows.first(where: { $0.reference == model || $0.reference.standardized == wanted }) else {
                    throw UserError("no model '\(model)' in the catalog or the model folders (see `quantty models`)")
                }
                startRow = r
            }
            let (loadedTheme, themeError) = Theme.load(named: theme ?? "dark", directories: Theme.directories())
            var settings = ChatSettings()
            if let entry = startRow.flatMap({ backend.library.entry($0.reference) }) { settings.apply(catalog: entry) }
            // The terminal starts after everything that can fail and before anything is
            // written: a TERM curses cannot drive leaves no chat history behind.
            let terminal: Terminal
            do { terminal = try Terminal(theme: loadedTheme) } catch { throw UserError(error) }
            let store: ChatStore?
            var storeError: String?
            do { store = try ChatStore(directory: ChatStore.defaultDirectory()) } catch {
                store = nil
                storeError = "\(error)"
            }
            // What F5 applied last time wins over the catalog's sampling; the sent messages
            // come back with Up.
            if let saved = try? store?.loadSettings() { settings = saved }
            backend.contextLength = settings.contextLength
            let history = (try? store?.inputHistory()) ?? []
            var state = AppState(width: terminal.size.width, height: terminal.size.height, settings: settings, history: history)
            if let themeError { state.setStatus("\(themeError)", .warning) }
            if let storeError { _ = state.reduce(.history(.off(storeError))) }
            let controller = AppController(state: state, backend: backend, store: store)
            if let startRow { controller.load(startRow) }
            await terminal.runOnOwnThread(controller)
            let lost = controller.closeHistory()
            if lost > 0 { note("quantty: \(lost) change(s) to the chat history were not saved: its database stayed locked by another program") }
        }
    }
}
