import Catalog
import Foundation
// TOMLKit is a dependency of Catalog; it is imported here transitively (see the report:
// Package.swift should list it for TUI too). All TOMLKit use in TUI stays in this file.
import TOMLKit

extension Theme {
    /// Parses theme text: an optional `name` and a `[colors]` table of role = colour.
    /// Unknown keys and bad colours are errors naming the file, line and key.
    public static func parse(text: String, file: String) throws(ThemeError) -> Theme {
        if let p = TOMLPrecheck.problem(in: text) { throw ThemeError(file: file, line: p.line, p.message) }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ThemeError(file: file, line: e.source.begin.line, "TOML syntax error: \(e.description)")
        } catch {
            throw ThemeError(file: file, "TOML syntax error: \(error)")
        }
        let lines = TOMLLineIndex(text: text)
        func fail(_ path: [String], _ message: String) -> ThemeError {
            ThemeError(file: file, line: lines.line(path), key: path.joined(separator: "."), message)
        }
        for key in root.keys where key != "name" && key != "colors" {
            throw fail([key], "unknown key (expected 'name' or a [colors] table)")
        }
        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let v = root["name"] {
            guard let s = v.string else { throw fail(["name"], "should be a string") }
            name = s
        }
        guard let v = root["colors"] else { throw fail([], "missing [colors] table") }
        guard let table = v.table else { throw fail(["colors"], "should be a table") }
        var colors: [ColorRole: TerminalColor] = [:]
        for key in table.keys {
            let path = ["colors", key]
            guard let role = ColorRole(rawValue: key) else {
                throw fail(path, "unknown colour role (known: \(ColorRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let value = table[key]!
            let color: TerminalColor?
            if let i = value.int { color = TerminalColor(text: String(i)) } else if let s = value.string { color = TerminalColor(text: s) } else { color = nil }
            guard let color else {
                throw fail(path, "not a colour: \(value) (use a name like \"blue\" or \"bright_red\", a number 0-255, or \"#rrggbb\")")
            }
            colors[role] = color
        }
        return Theme(name: name, colors: colors)
    }

    /// Reads and parses a theme file.
    public static func load(file: String) throws(ThemeError) -> Theme {
        guard let data = FileManager.default.contents(atPath: file) else { throw ThemeError(file: file, "cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw ThemeError(file: file, "is not valid UTF-8") }
        return try parse(text: text, file: file)
    }

    /// The theme called `name` (or a path to a `.toml` file), looked for in `directories`
    /// in order. Never fails: a missing or bad theme gives the default theme and the error
    /// to show the user.
    public static func load(named name: String?, directories: [String]) -> (theme: Theme, error: ThemeError?) {
        guard let name else { return (.dark, nil) }
        let candidates = name.hasSuffix(".toml") ? [name] : directories.map { $0 + "/" + name + ".toml" }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            if name == Theme.dark.name { return (.dark, nil) }   // built in
            let known = Set(directories.flatMap { d in
                ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
            }).sorted()
            return (.dark, ThemeError(file: name, "no such theme (known: \(known.joined(separator: ", ")))"))
        }
        do {
            return (try load(file: file), nil)
        } catch {
            return (.dark, error)
        }
    }

    /// Where themes are looked for: `$XDG_CONFIG_HOME/quantty/themes`, then the
    /// repository's `themes/` found by walking up from the executable.
    public static func directories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   executable: String = CommandLine.arguments.first ?? "") -> [String] {
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        var dirs = [config + "/quantty/themes"]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0 ..< 8 {
            let t = dir.appendingPathComponent("themes").path
            if FileManager.default.fileExists(atPath: t + "/dark.toml") { dirs.append(t); break }
            dir = dir.deletingLastPathComponent()
        }
        return dirs
    }
}
