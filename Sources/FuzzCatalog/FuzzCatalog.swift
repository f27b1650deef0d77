// libFuzzer target: models.toml text -> Catalog (as `Catalog.load` reads it), then every
// reference the app resolves: the default model, each model, each model:level; and the text
// itself as a `pip` requirement and a `file` value (`SourceRules`), checking that nothing the
// rules accept escapes the models folder.
// Built by `make fuzz` only.
import FuzzSupport
import Catalog


let paths = Paths(environment: ["HOME": "/nonexistent-quantty-fuzz"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Catalog.load refuses files that are not UTF-8 before parsing.
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    // The raw text as a `pip` requirement and as a `file`, as the fetcher checks them again.
    blackHole(SourceRules.requirementProblem(text))
    blackHole(SourceRules.fileProblem(text, hasSource: true))
    if SourceRules.fileProblem(text, hasSource: true) == nil {
        precondition(SourceRules.isInside(paths.modelsDirectory + "/" + text, folder: paths.modelsDirectory), "file \(text) escapes")
    }
    let catalog: Catalog
    do { catalog = try Catalog.parse(text: text, path: "fuzz/models.toml") } catch {
        blackHole(error.description)
        return 0
    }
    blackHole(try? catalog.resolve(nil, paths: paths).label)
    for m in catalog.models {
        precondition(catalog.model(m.id) != nil)
        blackHole((m.name, m.template, m.systemPrompt, m.contextLength, m.sampling, m.preferredLevel))
        blackHole(try? catalog.resolve(m.id, paths: paths).label)
        for l in m.levels {
            blackHole((l.path(in: paths.modelsDirectory), l.sha256, l.source))
            // What a parsed catalog may make the fetcher do (issue 13): pip gets pinned
            // requirements only, every download has a sha256, and a file quantty downloads or
            // makes lies inside the models folder.
            if let source = l.source {
                precondition(SourceRules.isInside(l.path(in: paths.modelsDirectory), folder: paths.modelsDirectory), "file \(l.file) escapes")
                if case .pip(let packages, _) = source {
                    precondition(l.sha256 != nil)
                    for p in packages { precondition(SourceRules.requirementProblem(p) == nil, p) }
                }
            }
            blackHole(try? catalog.resolve(m.id + ":" + l.name, paths: paths).label)
        }
    }
    return 0
}

// SwiftPM links this executable's `main` as `FuzzCatalog_main`: libFuzzer's driver takes over.
@_cdecl("FuzzCatalog_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
