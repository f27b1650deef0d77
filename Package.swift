// swift-tools-version:6.0
import PackageDescription
import Foundation

// Targets follow the pipeline: GGUF -> Quant -> LLM -> Engine -> TUI -> quantty.
// Dependencies point one way only (see README "Architecture").
// Numeric kernels drop overflow checks in release builds; parsers and UI keep them.
// QUANTTY_FUZZ=1 (`make fuzz` only) adds the libFuzzer targets below and keeps overflow checks
// everywhere, so the fuzzers see every trap; normal and test builds never see those targets.
let fuzzing = ProcessInfo.processInfo.environment["QUANTTY_FUZZ"] == "1"
let optimize: [SwiftSetting] = fuzzing ? []
    : [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
let checked: [SwiftSetting] = []

let package = Package(
    name: "quantty",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "quantty", targets: ["quantty"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // System libraries, at the edge.
        .systemLibrary(name: "CNCursesW",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // Hot SIMD kernels, dispatched on CPU features at run time; portable paths live in Quant.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-fast-math", "-ffp-contract=off"])]),

        .target(name: "GGUF", swiftSettings: checked),
        .target(name: "Quant", dependencies: ["GGUF", "CKernels"], swiftSettings: optimize),
        .target(name: "LLM", dependencies: ["GGUF", "Quant", "COpenBLAS"], swiftSettings: optimize),
        .target(name: "Catalog", dependencies: ["GGUF", "TOMLKit"], swiftSettings: checked),
        .target(name: "Engine", dependencies: ["LLM", "Catalog"], swiftSettings: optimize),
        .target(name: "TUI", dependencies: ["Engine", "Catalog", "CNCursesW", "TOMLKit",
                                            .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: checked),
        .executableTarget(name: "quantty", dependencies: [
            "Engine", "Catalog", "TUI", "GGUF", "Quant", "LLM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: checked),

        // Shared by the test targets: where fixtures and models are, and what a missing one means
        // (a skip, or a failure under QUANTTY_REQUIRE_FIXTURES=1 as CI runs).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "GGUF", "TestSupport"]),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "Quant", "GGUF", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "LLM", "GGUF", "Catalog", "TestSupport"]),
        .testTarget(name: "TUITests", dependencies: ["TUI", "Catalog", "LLM", "TestSupport"]),
        .testTarget(name: "QuanttyTests", dependencies: ["GGUF", "Catalog", "TestSupport"]),
    ]
)

// libFuzzer targets (`make fuzz`): each defines LLVMFuzzerTestOneInput and has no main of its
// own; built only with QUANTTY_FUZZ=1 and `-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library`.
if fuzzing {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzGGUF", ["GGUF", "LLM"]),
        ("FuzzTokenizer", ["LLM", "GGUF"]),
        ("FuzzChatTemplate", ["LLM"]),
        ("FuzzCatalog", ["Catalog"]),
        ("FuzzTheme", ["TUI"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Sources/FuzzSupport"))
    for (name, deps) in fuzzTargets {
        package.targets.append(.executableTarget(name: name, dependencies: deps + ["FuzzSupport"], path: "Sources/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
