import XCTest
final class QuanttyPlaceholderTests: XCTestCase { func testBuilds() {} }
