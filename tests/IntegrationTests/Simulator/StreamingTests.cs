using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Wrapper.Simulator;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

[TestFixture]
public sealed class StreamingTests : SimulatorFixture
{
    [SetUp]
    public void ResetLatency() => Server.Options.LatencyPerTokenMs = 0;

    [Test]
    public async Task ShouldStreamChunksThenUsageThenDone()
    {
        var body = Body("Stream me a story.");
        body["stream"] = true;
        body["stream_options"] = new System.Text.Json.Nodes.JsonObject { ["include_usage"] = true };

        using var response = await PostChatAsync(Client, body);
        var (chunks, done) = await ReadEventsAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(done, Is.True, "the stream ends with data: [DONE]");

        var first = chunks[0];
        var usageChunk = chunks[^1];
        var finishChunk = chunks[^2];
        var contentChunks = chunks.Skip(1).Take(chunks.Count - 3).ToList();
        var streamed = string.Concat(contentChunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.Multiple(() =>
        {
            Assert.That(chunks.Select(c => c.GetProperty("object").GetString()), Is.All.EqualTo("chat.completion.chunk"));
            Assert.That(chunks.Select(c => c.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1));
            Assert.That(first.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString(), Is.EqualTo("assistant"));
            Assert.That(contentChunks, Has.Count.GreaterThan(5), "one chunk per word-sized delta");
            Assert.That(finishChunk.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(usageChunk.GetProperty("choices").GetArrayLength(), Is.Zero);
            Assert.That(usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(O200k.CountTokens(streamed)));
            Assert.That(usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(ExpectedPromptTokens(("user", "Stream me a story."))));
        });

        // The streamed text is the same answer a non-streamed request gets.
        using var whole = await PostChatAsync(Client, Body("Stream me a story."));
        var content = (await ReadJsonAsync(whole)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.That(streamed, Is.EqualTo(content));
    }

    [Test]
    public async Task ShouldLeaveOutTheUsageChunkWhenNotAskedAndStopAtMaxTokens()
    {
        var body = Body("Stream me a story.");
        body["stream"] = true;
        body["max_tokens"] = 6;

        using var response = await PostChatAsync(Client, body);
        var (chunks, done) = await ReadEventsAsync(response);

        Assert.That(done, Is.True);
        Assert.That(chunks.Any(c => c.TryGetProperty("usage", out _)), Is.False);
        var last = chunks[^1].GetProperty("choices")[0];
        Assert.That(last.GetProperty("finish_reason").GetString(), Is.EqualTo("length"));
        var streamed = string.Concat(chunks.Skip(1).SkipLast(1)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.That(O200k.CountTokens(streamed), Is.LessThanOrEqualTo(6));
    }

    [Test]
    public async Task ShouldWaitTheLatencyPerTokenBetweenChunks()
    {
        Server.Options.LatencyPerTokenMs = 20;
        var body = Body("slow");
        body["stream"] = true;
        body["max_tokens"] = 10;

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostChatAsync(Client, body);
        var (_, done) = await ReadEventsAsync(response);
        stopwatch.Stop();

        Assert.That(done, Is.True);
        Assert.That(stopwatch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(10 * 20 - 20)));
    }

    [Test]
    public async Task ShouldDelayANonStreamedAnswerByTheLatencyOfAllItsTokens()
    {
        Server.Options.LatencyPerTokenMs = 25;
        var body = Body("slow");
        body["max_tokens"] = 10;

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostChatAsync(Client, body);
        stopwatch.Stop();

        var tokens = (await ReadJsonAsync(response)).GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.That(stopwatch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(tokens * 25 - 20)));
    }

    private static async Task<(List<JsonElement> Chunks, bool Done)> ReadEventsAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var chunks = new List<JsonElement>();
        var done = false;
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.That(block, Does.StartWith("data: "), "every event is a data line");
            Assert.That(done, Is.False, "nothing follows [DONE]");
            var data = block["data: ".Length..];
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }

            using var document = JsonDocument.Parse(Encoding.UTF8.GetBytes(data));
            chunks.Add(document.RootElement.Clone());
        }

        return (chunks, done);
    }
}
