using System.Text;
using System.Text.Json;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary><see cref="ChatCompletionsWire"/>: the request bodies of chat completions and the parsing of whole answers
/// and of streamed chunks, as Azure OpenAI sends them.</summary>
[TestFixture]
public sealed class ChatCompletionsWireTests
{
    private static ChatCompletionChunk Parse(string data) => ChatCompletionsWire.ParseChunk(Encoding.UTF8.GetBytes(data));

    [TestCase("""{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[]}""")]
    [TestCase("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"model":"gpt-4o-mini"}""")]
    [TestCase("""{"choices":[{"index":0,"delta":{"content":"Hel\u006co"}}],"model":"gpt-4o-mini"}""")]
    [TestCase("""{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":""}},{"index":0,"delta":{"content":"late"}}],"model":"gpt-4o-mini"}""")]
    [TestCase("""{"choices":[{"index":0,"delta":{"content":null}},{"index":0,"delta":{"content":"late"}}],"model":"gpt-4o-mini-2024"}""")]
    [TestCase("""{"choices":[{"index":0,"delta":{},"finish_reason":"STOP"}],"model":"gpt-4o-mini"}""")]
    [TestCase("""{"choices":[],"model":"gpt-4o-mini","usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}""")]
    [TestCase("[DONE]")]
    public void ARelayedChunkIsReadAsAParsedOneWithoutItsText(string data)
    {
        var bytes = Encoding.UTF8.GetBytes(data);
        var parsed = ChatCompletionsWire.ParseChunk(bytes);

        var (relayed, hasText) = ChatCompletionsWire.ParseRelayedChunk(bytes, "gpt-4o-mini");

        Assert.Multiple(() =>
        {
            Assert.That(relayed, Is.EqualTo(parsed with { Content = null }));
            Assert.That(hasText, Is.EqualTo(parsed.Content is { Length: > 0 }));
        });
    }

    [Test]
    public void ARelayedChunkNamingTheKnownModelReusesItsString()
    {
        var known = new string("gpt-4o-mini".AsSpan());

        var (chunk, _) = ChatCompletionsWire.ParseRelayedChunk("""{"choices":[],"model":"gpt-4o-mini"}"""u8, known);

        Assert.That(chunk.Model, Is.SameAs(known));
    }

    [Test]
    public void ARelayedChunkWithAnErrorThrowsAsAParsedOne() =>
        Assert.That(() => ChatCompletionsWire.ParseRelayedChunk("""{"error":{"code":"server_error","message":"x"}}"""u8, null),
            Throws.InstanceOf<UpstreamException>());

    [Test]
    public void TheFirstAzureChunkCarriesNoTextAndNoModel()
    {
        // Azure's first event: the prompt's filter results, an empty model and no choices.
        var chunk = Parse("""
            {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,
            "content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"}}}]}
            """);

        Assert.That(chunk, Is.EqualTo(new ChatCompletionChunk(null, null, null, null, false)));
    }

    [Test]
    public void AContentChunkGivesItsTextAndModel()
    {
        var chunk = Parse("""
            {"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":" caf\u00e9 \"quoted\"\nline"},
            "finish_reason":null,"index":0,"logprobs":null}],"created":1732950000,"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18",
            "object":"chat.completion.chunk","system_fingerprint":"fp_1"}
            """);

        Assert.Multiple(() =>
        {
            Assert.That(chunk.Content, Is.EqualTo(" café \"quoted\"\nline"));
            Assert.That(chunk.Model, Is.EqualTo("gpt-4o-mini-2024-07-18"));
            Assert.That(chunk.FinishReason, Is.Null);
            Assert.That(chunk.Usage, Is.Null);
            Assert.That(chunk.IsEnd, Is.False);
        });
    }

    [TestCase("stop")]
    [TestCase("length")]
    [TestCase("content_filter")]
    [TestCase("tool_calls")]
    public void TheFinishReasonIsPassedOn(string reason)
    {
        var chunk = Parse($$"""{"choices":[{"delta":{},"finish_reason":"{{reason}}","index":0}],"model":"m"}""");

        Assert.Multiple(() =>
        {
            Assert.That(chunk.FinishReason, Is.EqualTo(reason));
            Assert.That(chunk.Content, Is.Null);
        });
    }

    [Test]
    public void AnUnknownFinishReasonIsPassedOnInLowerCase() =>
        Assert.That(Parse("""{"choices":[{"index":0,"finish_reason":"Max_Time","delta":{}}]}""").FinishReason, Is.EqualTo("max_time"));

    [Test]
    public void TheUsageChunkGivesTheTokenCounts()
    {
        var chunk = Parse("""
            {"choices":[],"model":"m","usage":{"completion_tokens":60,"completion_tokens_details":{"reasoning_tokens":0},"prompt_tokens":21,
            "prompt_tokens_details":{"cached_tokens":0},"total_tokens":81}}
            """);

        Assert.That(chunk.Usage, Is.EqualTo(new TokenUsage(21, 60)));
    }

    [Test]
    public void ANullUsageIsNoUsage() => Assert.That(Parse("""{"choices":[],"usage":null}""").Usage, Is.Null);

    [Test]
    public void OnlyChoiceZeroCounts()
    {
        var chunk = Parse("""{"choices":[{"index":1,"delta":{"content":"b"},"finish_reason":"stop"},{"delta":{"content":"a"},"index":0}]}""");

        Assert.Multiple(() =>
        {
            Assert.That(chunk.Content, Is.EqualTo("a"));
            Assert.That(chunk.FinishReason, Is.Null);
        });
    }

    [Test]
    public void UnknownPropertiesOfAnyShapeAreSkipped()
    {
        var chunk = Parse("""
            {"extra":{"a":[1,{"b":null}]},"choices":[{"index":0,"delta":{"tool_calls":[{"id":"x"}],"refusal":null,"content":"t"},"more":[[]]}],"n":1.5}
            """);

        Assert.That(chunk.Content, Is.EqualTo("t"));
    }

    [Test]
    public void DoneEndsTheStream() => Assert.That(Parse("[DONE]").IsEnd, Is.True);

    [Test]
    public void AnErrorObjectThrowsAnUpstreamExceptionWithAPlainCodeOnly()
    {
        var plain = Assert.Throws<UpstreamException>(() => Parse("""{"error":{"message":"boom","code":"server_error"}}"""))!;
        var freeText = Assert.Throws<UpstreamException>(() => Parse("""{"error":{"code":"key sk-123 was wrong","message":"x"}}"""))!;

        Assert.Multiple(() =>
        {
            Assert.That(plain.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(plain.Message, Does.Contain("(code: server_error)").And.Not.Contain("boom"));
            Assert.That(freeText.Message, Does.Not.Contain("sk-123"));
        });
    }

    [TestCase("")]
    [TestCase("not json")]
    [TestCase("[1,2]")]
    [TestCase("{\"choices\":[{\"delta\":")]
    [TestCase("{\"choices\":[]}trailing")]
    public void DataThatIsNotAChunkThrowsAJsonException(string data) =>
        Assert.That(() => Parse(data), Throws.InstanceOf<JsonException>());

    [Test]
    public async Task EventsAreReadInOrderFromTheStreamWhateverTheirSplitting()
    {
        var wire = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
                   + ": keep-alive comment\n\n"
                   + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\r\n\r\n"
                   + "data: [DONE]\n\n";
        // One byte per read: events split anywhere.
        using var stream = new OneByteStream(Encoding.UTF8.GetBytes(wire));

        var chunks = new List<ChatCompletionChunk>();
        await foreach (var item in ChatCompletionsWire.ReadChunks(stream, CancellationToken.None))
        {
            chunks.Add(item.Data);
        }

        Assert.Multiple(() =>
        {
            Assert.That(chunks.Select(c => c.Content), Is.EqualTo(new[] { "a", "b", null }));
            Assert.That(chunks[^1].IsEnd, Is.True);
        });
    }

    [Test]
    public void AWholeAnswerGivesTheTextFinishReasonModelAndUsageOfItsFirstChoice()
    {
        var answer = ChatCompletionsWire.ParseAnswer(Encoding.UTF8.GetBytes("""
            {"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"finish_reason":"length","index":0,"logprobs":null,
            "message":{"annotations":[],"content":"I am \u0022fine\u0022.","refusal":null,"role":"assistant"}},
            {"finish_reason":"stop","index":1,"message":{"content":"other","role":"assistant"}}],
            "created":1732950000,"id":"chatcmpl-1","model":"gpt-4o-mini-2024-07-18","object":"chat.completion",
            "prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"system_fingerprint":"fp_1",
            "usage":{"completion_tokens":5,"prompt_tokens":12,"total_tokens":17}}
            """));

        Assert.That(answer, Is.EqualTo(new ChatCompletionAnswer("I am \"fine\".", "length", "gpt-4o-mini-2024-07-18", new TokenUsage(12, 5))));
    }

    [Test]
    public void AnAnswerWithoutTextHasEmptyText() =>
        Assert.That(ChatCompletionsWire.ParseAnswer("""{"choices":[{"index":0,"finish_reason":"content_filter","message":{"content":null}}]}"""u8),
            Is.EqualTo(new ChatCompletionAnswer(string.Empty, "content_filter", null, null)));

    [Test]
    public void AnAnswerThatIsNotJsonThrowsAJsonException() =>
        Assert.That(() => ChatCompletionsWire.ParseAnswer("<html>Bad gateway</html>"u8), Throws.InstanceOf<JsonException>());

    [Test]
    public void TheRequestBodyIsTheOneTheSdkWouldSend() =>
        Assert.That(Encoding.UTF8.GetString(ChatCompletionsWire.WriteRequest([ChatMessage.User("hi")], "gpt-4o-mini", stream: false)),
            Is.EqualTo("""{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}"""));

    [Test]
    public void TheStreamedRequestBodyIsTheOneTheSdkWouldSend()
    {
        var body = ChatCompletionsWire.WriteRequest(
            [ChatMessage.System("Be brief."), ChatMessage.User("Say \"hi\" <b>"), ChatMessage.Assistant("hi"), ChatMessage.User("again")], "gpt-4o-mini",
            stream: true);

        Assert.That(Encoding.UTF8.GetString(body), Is.EqualTo(
            """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say \u0022hi\u0022 \u003Cb\u003E"},"""
            + """{"role":"assistant","content":"hi"},{"role":"user","content":"again"}],"model":"gpt-4o-mini","stream":true,"""
            + "\"stream_options\":{\"include_usage\":true}}"));
    }

    /// <summary>A stream that hands out one byte per read.</summary>
    private sealed class OneByteStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 1), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}
