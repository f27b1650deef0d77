import XCTest
@testable import LLM

final class ThinkingParserTests: XCTestCase {
    /// Feeds `chunks` one by one and joins what comes out by kind.
    func split(_ chunks: [String], inside: Bool = false) -> (reasoning: String, answer: String, pieces: Int) {
        var p = ThinkingParser(startsInsideThinking: inside)
        var r = "", a = "", n = 0
        for piece in chunks.flatMap({ p.feed($0) }) + p.flush() {
            n += 1
            switch piece {
            case .reasoning(let s): r += s
            case .answer(let s): a += s
            }
        }
        return (r, a, n)
    }

    func testReasoningAndAnswerApartWhateverTheChunking() {
        let reply = "<think>\nLet me add: 2 + 2 = 4.\n</think>\n\nIt is 4."
        let whole = split([reply])
        XCTAssertEqual(whole.reasoning, "Let me add: 2 + 2 = 4.\n")
        XCTAssertEqual(whole.answer, "It is 4.")
        // One character at a time: tags split across chunks are held back until complete.
        let chars = split(reply.map { String($0) })
        XCTAssertEqual(chars.reasoning, whole.reasoning)
        XCTAssertEqual(chars.answer, whole.answer)
        let odd = split(["  <thi", "nk>a</", "thi", "nk", ">b"])
        XCTAssertEqual(odd.reasoning, "a")
        XCTAssertEqual(odd.answer, "b")
    }

    func testRepliesWithoutThinkingAreAllAnswer() {
        XCTAssertEqual(split(["Hello ", "there"]).answer, "Hello there")
        // Text continuation keeps its leading whitespace.
        XCTAssertEqual(split([" there", " was"]).answer, " there was")
        XCTAssertEqual(split(["\n", " "]).answer, "\n ")
        // A tag later in the answer is text, not reasoning.
        let later = split(["Use <think> tags ", "like </think> this"])
        XCTAssertEqual(later.reasoning, "")
        XCTAssertEqual(later.answer, "Use <think> tags like </think> this")
        // A reply that starts like the tag but is not it.
        XCTAssertEqual(split(["<th", "ree"]).answer, "<three")
        XCTAssertEqual(ReasonedReply("Plain.").reasoning, nil)
    }

    func testPromptEndingInThinkStartsInsideTheReasoning() {
        XCTAssertTrue(ThinkingParser.startsInsideThinking(prompt: "<｜Assistant｜><think>\n"))
        XCTAssertFalse(ThinkingParser.startsInsideThinking(prompt: "<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        let r = split(["Hmm, 17 x 23.", "</think>", "391"], inside: true)
        XCTAssertEqual(r.reasoning, "Hmm, 17 x 23.")
        XCTAssertEqual(r.answer, "391")
        // Cut off while thinking: everything is reasoning, nothing is lost.
        let cut = split(["still thinking </thi"], inside: true)
        XCTAssertEqual(cut.reasoning, "still thinking </thi")
        XCTAssertEqual(cut.answer, "")
        XCTAssertEqual(ReasonedReply("abc", startsInsideThinking: true), ReasonedReply(reasoning: "abc", answer: ""))
        XCTAssertEqual(ReasonedReply("<think></think>x").reasoning, "")
    }
}
