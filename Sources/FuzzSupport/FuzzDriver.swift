// Shared by the libFuzzer targets (`make fuzz` only).

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// Hands the process to libFuzzer's driver with `callback` as the target. SwiftPM links an
/// executable's `main` as `<Target>_main`; each target defines that function and calls this.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                      _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}

/// Keeps a computed value alive so the optimizer cannot drop the work that made it.
@inline(never) public func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }
