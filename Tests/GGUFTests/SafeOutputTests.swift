import Foundation
import XCTest
@testable import GGUF

/// Writing GGUF files past traps in the output folder (issue 13, finding 2): a FIFO or device
/// as the output, a symbolic link planted at the temporary name, the input reached through a
/// linked folder, an existing output's mode.
final class SafeOutputTests: XCTestCase {
    func smallWriter() throws -> GGUFWriter {
        var w = GGUFWriter()
        w["general.architecture"] = .string("llama")
        try w.addTensor(name: "t", shape: [4], type: .f32, data: [Float](repeating: 1, count: 4).withUnsafeBytes { Array($0) })
        return w
    }

    func fileType(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st.st_mode & S_IFMT
    }

    func testASpecialFileOutputIsRefusedNotReplaced() throws {
        let dir = try makeTemporaryDirectory(self)
        let fifo = dir + "/out.gguf"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertThrowsError(try smallWriter().write(to: fifo)) { e in
            XCTAssertEqual(e as? GGUFWriteError, .notARegularFile(path: fifo, kind: "a FIFO"))
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
        XCTAssertEqual(fileType(fifo), S_IFIFO, "the FIFO is still there")
        // A link to a character device (/dev/null) is refused the same way, and /dev/null stays.
        let link = dir + "/null.gguf"
        XCTAssertEqual(symlink("/dev/null", link), 0)
        XCTAssertThrowsError(try smallWriter().write(to: link)) { e in
            XCTAssertEqual(e as? GGUFWriteError, .notARegularFile(path: link, kind: "a character device"))
        }
        XCTAssertEqual(fileType("/dev/null"), S_IFCHR)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["null.gguf", "out.gguf"],
                       "no temporary file left")
    }

    func testAPlantedLinkAtTheTemporaryNameIsNotFollowed() throws {
        let dir = try makeTemporaryDirectory(self)
        let victim = dir + "/victim.txt"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        let out = dir + "/out.gguf"
        XCTAssertEqual(symlink(victim, "\(out).tmp-\(getpid())"), 0)
        try smallWriter().write(to: out)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious")
        XCTAssertEqual(fileType(out), S_IFREG)
        XCTAssertEqual(try GGUFFile(path: out).tensors.map(\.name), ["t"])
        XCTAssertEqual(fileType("\(out).tmp-\(getpid())"), S_IFLNK, "the planted link is left alone")
        // The same with a regular file planted there: not truncated.
        let plantedFile = dir + "/other.gguf.tmp-\(getpid())"
        try "planted".write(toFile: plantedFile, atomically: true, encoding: .utf8)
        try smallWriter().write(to: dir + "/other.gguf")
        XCTAssertEqual(try String(contentsOfFile: plantedFile, encoding: .utf8), "planted")
    }

    func testAnExistingOutputKeepsItsMode() throws {
        let dir = try makeTemporaryDirectory(self)
        let out = dir + "/out.gguf"
        try "old".write(toFile: out, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(out, 0o600), 0)
        try smallWriter().write(to: out)
        var st = stat()
        XCTAssertEqual(stat(out, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o600)
        XCTAssertEqual(try GGUFFile(path: out).tensors.count, 1)
    }

    func testSameFileIsByDeviceAndInode() throws {
        let dir = try makeTemporaryDirectory(self)
        let input = dir + "/in.gguf"
        try smallWriter().write(to: input)
        XCTAssertEqual(symlink(".", dir + "/link-to-dot"), 0)
        XCTAssertTrue(SafeOutput.isSameFile(input, dir + "/link-to-dot/in.gguf"))
        XCTAssertTrue(SafeOutput.isSameFile(input, dir + "/x/../in.gguf") || !FileManager.default.fileExists(atPath: dir + "/x"))
        XCTAssertFalse(SafeOutput.isSameFile(input, dir + "/other.gguf"))
    }
}
