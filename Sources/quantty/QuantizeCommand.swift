import ArgumentParser
import Catalog
import Foundation
import GGUF
import Quant

/// `quantty quantize IN OUT TYPE [--imatrix FILE]`: llama-quantize's plans with quantty's quantizer.
struct QuantizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a GGUF model to another level (llama-quantize's per-tensor types, optionally with an importance matrix).",
        discussion: "TYPE is one of \(QuantizationLevel.allCases.map(\.name).joined(separator: ", ")). IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M and Q2_K_S need --imatrix. The output is written to a temporary file and renamed when complete.")

    @Argument(help: "The source GGUF file (F32, F16 or BF16 is best; a quantized one needs --allow-requantize).") var input: String
    @Argument(help: "The file to write.") var output: String
    @Argument(help: "The target level, e.g. Q4_K_M.") var type: Named<QuantizationLevel>
    @Flag(help: "Allow requantizing tensors that are already quantized (loses quality; prints a warning).") var allowRequantize = false
    @Option(name: [.short, .customLong("threads")], parsing: .unconditional, help: "Worker threads (default: all CPUs).") var threads: Int?
    @Flag(help: "Print the per-tensor plan before quantizing.") var plan = false
    @Option(name: .customLong("imatrix"), help: ArgumentHelp("An importance matrix (llama-imatrix's GGUF or legacy .dat file) to steer the quantization.", valueName: "file")) var imatrix: String?

    func validate() throws {
        try validating {
            _ = try type.value()
            try checkOption("--threads", threads, atLeast: 1, atMost: 256)
        }
    }

    func run() async throws {
        try await reportingErrors {
            let level = try type.value()
            guard FileManager.default.fileExists(atPath: input) else { throw UserError("\(input): no such file") }
            // By device and inode, not by path: `d/link-to-dot/in.gguf` is `in.gguf`.
            if SafeOutput.isSameFile(input, output) {
                throw UserError("the output would overwrite the input (\(input)): choose another file")
            }
            do { _ = try SafeOutput.checkTarget(output) } catch { throw UserError(error) }
            // Problems with the output are found before the work, not at the final rename.
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue {
                throw UserError("\(output) is a folder: give the output file's name")
            }
            let folder = (URL(fileURLWithPath: output).deletingLastPathComponent().path)
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw UserError("cannot write \(output): the folder \(folder) does not exist")
            }
            var importance: QuantizerImatrix?
            if let imatrix {
                guard level.isQuantized else { throw UserError("--imatrix needs a quantized TYPE, not \(level)") }
                do { importance = try QuantizerImatrix(path: imatrix) } catch { throw UserError(error) }
            }
            let quantizer = ModelQuantizer(threads: threads ?? ModelQuantizer.defaultThreadCount, allowRequantize: allowRequantize)
            let source: GGUFFile
            do { source = try GGUFFile(path: input, requireSupportedTypes: false) } catch { throw UserError(fileMessage(error, path: input)) }
            if plan {
                do {
                    let p = try QuantizationPlan(level: level, file: source, hasImatrix: importance != nil)
                    for t in p.tensors {
                        note("  \(t.name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(t.shape) \(t.sourceType) -> \(t.targetType)\(t.fallbackFrom.map { " (fallback from \($0))" } ?? "")")
                    }
                } catch { throw UserError("\(input): \(error)") }
            }
            let bar = ProgressBar(label: "quantizing to \(level)")
            let report: QuantizeReport
            // Ctrl-C (or SIGTERM, SIGHUP) cancels after the current tensor: the quantizer removes
            // its temporary file and the command exits 128 + signal by itself.
            let interruption = Interruption.install(removingOnSecondSignal: "\(output).tmp-\(getpid())")
            do {
                let progress: ModelQuantizer.ProgressHandler = { p in
                    bar.update(p.fraction, detail: "\(p.tensorsDone)/\(p.tensorCount) \(p.tensor.name)")
                    return interruption.signal == nil
                }
                // A float target dequantizes: nothing is requantized, no flag needed.
                report = level.isQuantized
                    ? try quantizer.quantize(source, to: output, level: level, imatrix: importance, progress: progress)
                    : try quantizer.dequantizeModel(input, to: level, output: output, progress: progress)
            } catch {
                bar.finish()
                if let s = interruption.signal {
                    note("quantty: interrupted (signal \(s)): stopped quantizing; \(output) was not written and the unfinished file was removed")
                    throw ExitCode(128 + s)
                }
                throw UserError(error)
            }
            bar.finish()
            for w in report.warnings { note("warning: \(w)") }
            let params = report.plan.tensors.reduce(0) { $0 + $1.elementCount }
            let bpw = params > 0 ? Double(report.plan.targetTensorBytes * 8) / Double(params) : 0
            print(String(format: "%@: %@, %@ (%.2f bpw), %d tensors (%d fallbacks) in %.2f s",
                         output, level.name, formatBytes(report.fileSize), bpw, report.plan.tensors.count,
                         report.plan.fallbackCount, report.seconds))
        }
    }

    /// The quantizer as the catalog's fetcher uses it for `quantize_from` levels: requantizing
    /// is allowed (catalog sources are often quantized) and said on stderr.
    /// `showProgress: false` writes nothing to stderr (inside the terminal UI). A cancelled
    /// `cancellation` stops it after the current tensor (its temporary file removed).
    static func catalogQuantizer(showProgress: Bool, cancellation: FetchCancellation? = nil) -> Fetcher.Quantizer {
        { source, output, type, progress in
            guard let level = QuantizationLevel(name: type) else {
                throw UserError("unknown quantization type '\(type)'")
            }
            let bar = showProgress ? ProgressBar(label: "quantizing to \(level)") : nil
            let report = try ModelQuantizer(allowRequantize: true).quantize(source, to: output, level: level) { p in
                bar?.update(p.fraction, detail: "\(p.tensorsDone)/\(p.tensorCount)")
                progress(p.fraction)
                return !(cancellation?.isCancelled ?? false)
            }
            bar?.finish()
            if showProgress { for w in report.warnings where w.hasPrefix("requantizing") { note("note: \(w)") } }
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP turned into a flag that long jobs poll, so they can clean up and
/// exit by themselves. A second signal exits at once (removing `removingOnSecondSignal`, and
/// running `onSecondSignal`). `onFirstSignal` runs on a dispatch queue, not in signal context.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []

    /// The first signal received, if any.
    var signal: Int32? { lock.withLock { received } }

    static func install(removingOnSecondSignal path: String? = nil,
                        onFirstSignal: (@Sendable () -> Void)? = nil,
                        onSecondSignal: (@Sendable () -> Void)? = nil) -> Interruption {
        let i = Interruption()
        for s in [SIGINT, SIGTERM, SIGHUP] {
            Foundation.signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler {
                let first = i.lock.withLock { () -> Bool in
                    guard i.received == nil else { return false }
                    i.received = s
                    return true
                }
                if first {
                    onFirstSignal?()
                } else {
                    if let path { unlink(path) }
                    onSecondSignal?()
                    _exit(128 + s)
                }
            }
            source.resume()
            i.sources.append(source)
        }
        return i
    }
}

/// A one-line progress bar on stderr (redrawn in place on a terminal, a few lines otherwise).
final class ProgressBar: @unchecked Sendable {
    let label: String
    let tty = isatty(STDERR_FILENO) == 1
    private var lastDrawn = -1
    private let lock = NSLock()

    init(label: String) { self.label = label }

    func update(_ fraction: Double, detail: String = "") {
        lock.lock(); defer { lock.unlock() }
        let pct = Int((fraction * 100).rounded(.down))
        if tty {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            let line = "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(String(format: "%3d", pct))% \(detail)"
            FileHandle.standardError.write(Data((line.prefix(110) + "\u{1B}[K").utf8))
        } else if pct / 25 != lastDrawn / 25 || lastDrawn < 0 {
            FileHandle.standardError.write(Data("\(label): \(pct)%\n".utf8))
        }
        lastDrawn = pct
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if tty && lastDrawn >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
