import Foundation

/// What a catalog may ask the fetcher to do, checked when the catalog is read and again
/// before every fetch (a `LevelEntry` can be built in code too).
///
/// A `models.toml` may come from a folder the user merely walked into, so its values are
/// untrusted: a `pip` entry is a plain `name==version` requirement (never a path, a URL or an
/// option for pip), and a downloaded or derived `file` lies inside the models folder.
public enum SourceRules {
    /// Longest `pip` requirement accepted.
    public static let maxRequirementLength = 200

    /// Why `requirement` is not a `name==version` requirement pip can only fetch from the
    /// index, or nil when it is one.
    public static func requirementProblem(_ requirement: String) -> String? {
        guard requirement.utf8.count <= maxRequirementLength else {
            return "'\(requirement.prefix(40))...' is longer than \(maxRequirementLength) characters"
        }
        let parts = requirement.components(separatedBy: "==")
        guard parts.count == 2, isName(parts[0]), isVersion(parts[1]) else {
            return "'\(requirement)' is not a 'name==version' requirement (only a PyPI package pinned to one version is fetched: no paths, URLs, options or ranges)"
        }
        return nil
    }

    /// A PyPI project name (PEP 508): letters and digits, with `.`, `_`, `-` inside.
    static func isName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last,
              isAlnum(first), isAlnum(last) else { return false }
        return s.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// A version (PEP 440 public and local parts): starts with a digit.
    static func isVersion(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("0" ... "9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" || $0 == "+" || $0 == "!" }
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        ("a" ... "z").contains(c) || ("A" ... "Z").contains(c) || ("0" ... "9").contains(c)
    }

    /// Why a level's `file` may not be used as written, or nil. A file quantty downloads or
    /// makes must be a plain relative path inside the models folder; a level without a source
    /// may name any file (quantty only reads it).
    public static func fileProblem(_ file: String, hasSource: Bool) -> String? {
        if file.isEmpty || file.contains("\0") { return "is empty" }
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        if hasSource {
            if file.hasPrefix("/") || file.hasPrefix("~") {
                return "'\(file)' is outside the models folder: a file quantty downloads or makes is named relative to the models folder (a level without 'pip' or 'quantize_from' may name any existing file)"
            }
            if parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
                return "'\(file)' may not use '.', '..' or empty path parts: a file quantty downloads or makes stays inside the models folder"
            }
        }
        return nil
    }

    /// Whether `path` lies inside `folder` once both are made absolute and `.`/`..` resolved
    /// (symbolic links are not followed: the models folder is the user's own).
    public static func isInside(_ path: String, folder: String) -> Bool {
        let p = URL(fileURLWithPath: path).standardizedFileURL.path
        let f = URL(fileURLWithPath: folder).standardizedFileURL.path
        return p.hasPrefix(f.hasSuffix("/") ? f : f + "/")
    }
}
