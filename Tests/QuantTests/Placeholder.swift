import XCTest
final class QuantPlaceholderTests: XCTestCase { func testBuilds() {} }
