import XCTest
final class TUIPlaceholderTests: XCTestCase { func testBuilds() {} }
