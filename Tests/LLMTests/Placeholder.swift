import XCTest
final class LLMPlaceholderTests: XCTestCase { func testBuilds() {} }
