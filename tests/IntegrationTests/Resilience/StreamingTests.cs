using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wrapper.Application.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using Wrapper.IntegrationTests.Upstream;
using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Resilience;

/// <summary><see cref="IChatCompletionService.StreamAsync"/> through the real SDK against simulators: the deltas and the
/// final usage, failover before the first piece of text only, and failures in the middle of a stream.</summary>
[TestFixture]
public sealed class StreamingTests() : SimulatorPoolFixture(2)
{
    private static readonly ChatMessage[] Question = [ChatMessage.User("tell me a story")];

    private static async Task<List<ChatStreamUpdate>> ReadAll(IAsyncEnumerable<ChatStreamUpdate> stream, List<ChatStreamUpdate>? into = null)
    {
        into ??= [];
        await foreach (var update in stream)
        {
            into.Add(update);
        }

        return into;
    }

    private static string Text(IEnumerable<ChatStreamUpdate> updates) => string.Concat(updates.OfType<ChatStreamDelta>().Select(d => d.Content));

    [Test]
    public async Task StreamsDeltasThenACompletionWithUsage()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));

        var updates = await ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None));
        var whole = await adapter.Chat.CompleteAsync(Question, CancellationToken.None);

        var done = updates[^1] as ChatStreamCompleted;
        Assert.Multiple(() =>
        {
            Assert.That(updates.Count(u => u is ChatStreamDelta), Is.GreaterThan(5), "one update per word-sized delta");
            Assert.That(updates.OfType<ChatStreamDelta>().All(d => d.Content.Length > 0));
            Assert.That(updates.OfType<ChatStreamCompleted>().Count(), Is.EqualTo(1));
            Assert.That(Text(updates), Is.EqualTo(whole.Content), "the same answer as without streaming");
            Assert.That(done, Is.Not.Null);
            Assert.That(done!.FinishReason, Is.EqualTo("stop"));
            Assert.That(done.Model, Is.EqualTo(SimulatorPool.Deployment));
            Assert.That(done.Usage, Is.EqualTo(whole.Usage), "the SDK asked for the usage chunk");
        });
    }

    [Test]
    public async Task NothingIsSentBeforeTheEnumerationStarts()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));

        var stream = adapter.Chat.StreamAsync(Question, CancellationToken.None);
        await Task.Delay(50);

        Assert.That(Pool.Requests(0) + Pool.Requests(1), Is.Zero);
        await ReadAll(stream);
    }

    [Test]
    public async Task AFailureBeforeTheFirstDeltaFailsOver()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        var updates = await ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(Text(updates), Is.Not.Empty);
            Assert.That(Pool.Requests(0, "503"), Is.EqualTo(1));
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WhenNoUpstreamCanStartTheStreamTheFirstMoveNextThrows()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        Pool[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 9, Target = "openai" });
        Pool[1].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 6, Target = "openai" });

        await using var updates = adapter.Chat.StreamAsync(Question, CancellationToken.None).GetAsyncEnumerator();
        var ex = Assert.ThrowsAsync<UpstreamException>(async () => await updates.MoveNextAsync())!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(6)));
        });
    }

    [Test]
    public async Task ABlockedPromptFailsBeforeTheStreamStarts()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));

        var ex = Assert.ThrowsAsync<UpstreamException>(() => ReadAll(adapter.Chat.StreamAsync([ChatMessage.User("trigger-content-filter")], CancellationToken.None)))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.ContentFiltered));
    }

    [Test]
    public async Task AFilteredAnswerKeepsItsTextAndFinishReason()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));

        var updates = await ReadAll(adapter.Chat.StreamAsync([ChatMessage.User("please trigger-completion-filter")], CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(Text(updates), Is.Not.Empty);
            Assert.That(((ChatStreamCompleted)updates[^1]).FinishReason, Is.EqualTo("content_filter"));
        });
    }

    [Test]
    public async Task AStallInTheMiddleEndsTheStreamWithATimeoutAndDoesNotFailOver()
    {
        var settings = Pool.Settings(1, 2);
        // Wide margins both ways on a busy machine: pieces come every ~100 ms against a 3 s idle timeout, the whole
        // answer (~60 tokens) would take ~6 s, which is the time this test has to make the upstream go quiet, and the
        // stall (30 s per token) is ten times the idle timeout.
        settings["AzureOpenAI:StreamIdleTimeoutSeconds"] = "3";
        await using var adapter = PoolAdapter.Create(settings);
        Pool[0].Options.LatencyPerTokenMs = 100;
        var received = new List<ChatStreamUpdate>();

        var ex = Assert.ThrowsAsync<UpstreamException>(async () =>
        {
            await foreach (var update in adapter.Chat.StreamAsync(Question, CancellationToken.None))
            {
                received.Add(update);
                // After the first piece of text the upstream goes quiet (the simulator reads its latency per delta).
                Pool[0].Options.LatencyPerTokenMs = 30_000;
            }
        })!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Timeout));
            Assert.That(ex.Message, Does.Contain("stopped sending the answer for more than 3 s"));
            Assert.That(received, Is.Not.Empty.And.All.InstanceOf<ChatStreamDelta>(), "text was handed out, then the error; no completion");
            Assert.That(Pool.Requests(1), Is.Zero, "no failover after the first byte");
        });
    }

    [TestCase(true, TestName = "ADroppedConnectionInTheMiddleEndsTheStreamWithUnavailable")]
    [TestCase(false, TestName = "AStreamThatEndsBeforeItsFinishReasonIsBrokenOff")]
    public async Task AStreamCutInTheMiddleEndsWithUnavailable(bool dropped)
    {
        // "Once upon", then the connection drops, or closes normally without the answer ever saying it was finished.
        await using var upstream = await ScriptedStreamUpstream.StartAsync([Chunk("Once"), Chunk(" upon")], abort: dropped);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));
        var received = new List<ChatStreamUpdate>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None), received))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.Message, Does.Contain("broke off"));
            Assert.That(Text(received), Is.EqualTo("Once upon"));
            Assert.That(received.OfType<ChatStreamCompleted>(), Is.Empty);
            Assert.That(Pool.Requests(1), Is.Zero, "no failover after the first byte");
        });
    }

    [Test]
    public async Task AMidStreamFailureCountsTowardsTheBreaker()
    {
        // A stream that started counts as a success and its break as a failure: with a threshold of 2 and a ratio of
        // 0.5, one broken stream opens the circuit.
        await using var broken = await ScriptedStreamUpstream.StartAsync([Chunk("Once"), Chunk(" upon")], abort: true);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(broken));

        Assert.ThrowsAsync<UpstreamException>(() => ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None)));
        var updates = await ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Open));
            Assert.That(adapter.Upstream("a").OpenedBecause, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(broken.Requests, Is.EqualTo(1));
            Assert.That(updates[^1], Is.InstanceOf<ChatStreamCompleted>(), "the second stream came from b");
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task StoppingTheEnumerationCancelsTheUpstreamStream()
    {
        await using var adapter = PoolAdapter.Create(Pool.Settings(1, 2));
        // 60 tokens at 500 ms each: the whole answer would take 30 s, far beyond the 10 s Eventually waits below.
        Pool[0].Options.LatencyPerTokenMs = 500;
        using var caller = new CancellationTokenSource();

        Assert.That(async () =>
        {
            await foreach (var _ in adapter.Chat.StreamAsync(Question, caller.Token))
            {
                await caller.CancelAsync();
            }
        }, Throws.InstanceOf<OperationCanceledException>());

        // The simulator records a streamed request when its handler returns: right away once the client is gone.
        await SimulatorRecords.WaitUntilAsync(() => Pool.Requests(0) == 1);
        Assert.That(adapter.Upstream("a").Circuit, Is.EqualTo(UpstreamCircuitState.Closed));
    }

    [Test]
    public async Task TheUpstreamIsAskedForAStreamWithItsUsage()
    {
        await using var upstream = await ScriptedStreamUpstream.StartAsync([Chunk("Hi", finishReason: "stop"), "[DONE]"], abort: false);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));

        await ReadAll(adapter.Chat.StreamAsync([ChatMessage.System("Be \"brief\"."), ChatMessage.User("héllo"), ChatMessage.Assistant("hi"), ChatMessage.User("more")],
            CancellationToken.None));

        using var body = System.Text.Json.JsonDocument.Parse(upstream.LastBody!);
        var root = body.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("stream").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("model").GetString(), Is.EqualTo(SimulatorPool.Deployment));
            Assert.That(root.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}:{m.GetProperty("content").GetString()}"),
                Is.EqualTo(new[] { "system:Be \"brief\".", "user:héllo", "assistant:hi", "user:more" }));
        });
    }

    [Test]
    public async Task OnlyTheFirstChoiceIsPassedOnAndAnAnswerThatStopsAfterItsFinishReasonIsComplete()
    {
        // Choice 1 comes first in the chunk; the stream closes after the finish reason, without usage or [DONE].
        const string twoChoices = "{\"model\":\"gpt-4o-mini\",\"choices\":[{\"delta\":{\"content\":\"other\"},\"index\":1},"
                                  + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Once\"},\"logprobs\":null}]}";
        await using var upstream = await ScriptedStreamUpstream.StartAsync([twoChoices, Chunk(" upon"), Chunk(null, finishReason: "length")], abort: false);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));

        var updates = await ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None));

        var done = (ChatStreamCompleted)updates[^1];
        Assert.Multiple(() =>
        {
            Assert.That(Text(updates), Is.EqualTo("Once upon"));
            Assert.That(done.FinishReason, Is.EqualTo("length"));
            Assert.That(done.Model, Is.EqualTo("gpt-4o-mini"));
            Assert.That(done.Usage, Is.EqualTo(TokenUsage.None));
        });
    }

    [Test]
    public async Task AStreamThatEndsBeforeAnyTextFailsOver()
    {
        await using var upstream = await ScriptedStreamUpstream.StartAsync([Chunk(string.Empty)], abort: false);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));

        var updates = await ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(upstream.Requests, Is.EqualTo(1));
            Assert.That(Text(updates), Is.Not.Empty);
            Assert.That(Pool.Requests(1, "200"), Is.EqualTo(1), "the answer came from b");
        });
    }

    [Test]
    public async Task AnErrorEventInTheMiddleEndsTheStreamWithItsCodeButNotItsMessage()
    {
        await using var upstream = await ScriptedStreamUpstream.StartAsync(
            [Chunk("Once"), "{\"error\":{\"message\":\"internal detail sk-secret\",\"type\":\"server_error\",\"code\":\"server_error\"}}"], abort: false);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));
        var received = new List<ChatStreamUpdate>();

        var ex = Assert.ThrowsAsync<UpstreamException>(() => ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None), received))!;

        Assert.Multiple(() =>
        {
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.Message, Does.Contain("(code: server_error)").And.Not.Contain("sk-secret"));
            Assert.That(Text(received), Is.EqualTo("Once"));
            Assert.That(Pool.Requests(1), Is.Zero, "no failover after the first byte");
        });
    }

    [Test]
    public async Task AChunkThatIsNotJsonIsABadResponse()
    {
        await using var upstream = await ScriptedStreamUpstream.StartAsync([Chunk("Once"), "{\"choices\":[{\"delta\":"], abort: false);
        await using var adapter = PoolAdapter.Create(WithFirstUpstreamAt(upstream));

        var ex = Assert.ThrowsAsync<UpstreamException>(() => ReadAll(adapter.Chat.StreamAsync(Question, CancellationToken.None)))!;

        Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.BadResponse));
    }

    private Dictionary<string, string?> WithFirstUpstreamAt(ScriptedStreamUpstream upstream)
    {
        var settings = Pool.Settings(1, 2);
        settings["AzureOpenAI:Upstreams:0:Endpoint"] = upstream.Address.ToString();
        return settings;
    }

    /// <summary>The data of one <c>chat.completion.chunk</c> event with <paramref name="text"/> (null: no content) and a finish reason.</summary>
    private static string Chunk(string? text, string? finishReason = null) =>
        "{\"id\":\"chatcmpl-x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\","
        + "\"choices\":[{\"index\":0,\"delta\":{" + (text is null ? string.Empty : "\"content\":" + System.Text.Json.JsonSerializer.Serialize(text))
        + "},\"finish_reason\":" + (finishReason is null ? "null" : "\"" + finishReason + "\"") + "}]}";

    /// <summary>An upstream that answers every streamed request with the given events (their data), then closes the
    /// response normally or, with <c>abort</c>, drops the connection.</summary>
    private sealed class ScriptedStreamUpstream : IAsyncDisposable
    {
        private LoopbackUpstream _server = null!;
        private int _requests;

        public Uri Address => _server.Address;

        public int Requests => Volatile.Read(ref _requests);

        public string? LastBody { get; private set; }

        public static async Task<ScriptedStreamUpstream> StartAsync(IReadOnlyList<string> events, bool abort)
        {
            var upstream = new ScriptedStreamUpstream();
            upstream._server = await LoopbackUpstream.StartAsync(app => app.MapPost("/openai/deployments/{deployment}/chat/completions", async (HttpContext context) =>
            {
                Interlocked.Increment(ref upstream._requests);
                using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
                {
                    upstream.LastBody = await reader.ReadToEndAsync();
                }

                context.Response.ContentType = "text/event-stream";
                foreach (var data in events)
                {
                    await context.Response.WriteAsync("data: " + data + "\n\n", Encoding.UTF8);
                    await context.Response.Body.FlushAsync();
                }

                if (abort)
                {
                    await Task.Delay(50);
                    context.Abort();
                }
            }));
            return upstream;
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
