import Foundation

/// Writing a file without falling into traps left in its folder (issue 13, finding 2).
///
/// - The output is a regular file or does not exist yet: a device, FIFO, socket or folder
///   (also behind a symbolic link) is refused, never replaced.
/// - The temporary file is created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`), so a file or
///   symbolic link planted under its name is never followed or truncated; a taken name is
///   skipped for an unpredictable one, as `mkstemp` does.
/// - An existing output's permission bits are kept.
/// - Input and output are compared by device and inode, not by path string, so no path
///   through a symbolic link or `..` lets a writer replace the file it reads.
public enum SafeOutput {
    /// What kind of file `st_mode` describes, for messages.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a folder"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// The output's current status (following links), nil when it does not exist; throws when
    /// it exists and is not a regular file.
    public static func checkTarget(_ path: String) throws(GGUFWriteError) -> stat? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT {
                // A dangling symbolic link: rename replaces the link itself; that is fine.
                return nil
            }
            throw .io(path: path, operation: "check", reason: String(cString: strerror(errno)))
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path, kind: kind(st.st_mode)) }
        return st
    }

    /// Whether `a` and `b` name the same file (same device and inode). False when either is
    /// missing.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Creates the temporary file for `path` exclusively, without following links:
    /// `path.tmp-PID`, or `DIR/.NAME.RANDOM.tmp-PID` when that name is taken. Returns the open
    /// descriptor and the name. The file gets `existing`'s permission bits when given.
    public static func createTemporary(for path: String, keepingModeOf existing: stat?) throws(GGUFWriteError) -> (fd: Int32, path: String) {
        let pid = getpid()
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        var candidates = ["\(path).tmp-\(pid)"]
        for _ in 0 ..< 8 {
            let random = String(UInt64.random(in: 0 ... UInt64.max), radix: 36)
            candidates.append((dir.isEmpty ? "" : dir + "/") + ".\(base).\(random).tmp-\(pid)")
        }
        var lastError = ""
        for name in candidates {
            let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                if let existing, fchmod(fd, existing.st_mode & 0o7777) != 0 {
                    let e = String(cString: strerror(errno))
                    close(fd); unlink(name)
                    throw .io(path: name, operation: "set the mode of", reason: e)
                }
                return (fd, name)
            }
            lastError = String(cString: strerror(errno))
            guard errno == EEXIST || errno == ELOOP else { throw .io(path: name, operation: "create", reason: lastError) }
        }
        throw .io(path: path, operation: "create a temporary file for", reason: "every name tried is taken (\(lastError))")
    }
}
