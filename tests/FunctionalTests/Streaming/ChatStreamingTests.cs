extern alias simulator;

using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Wrapper.FunctionalTests.Infrastructure;
using simulator::Wrapper.Simulator;
using static Wrapper.FunctionalTests.Infrastructure.HttpAssertions;

namespace Wrapper.FunctionalTests.Streaming;

/// <summary><c>POST /chat</c> with <c>"stream": true</c>: server-sent events, failover before the first byte, an
/// explicit error event after it, and a client that leaves cancelling the upstream call.</summary>
public sealed class ChatStreamingTests
{
    private const string Conversation = """[{"role":"user","content":"tell me a story"}]""";

    private PoolApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        // These tests share one pool: no failure of one test may open a circuit for the next. The stream idle timeout
        // is left at the generous request deadline; the one test about it takes a host with its own.
        _factory = await PoolApiFactory.StartAsync(2, s => s["AzureOpenAI:CircuitBreaker:MinimumThroughput"] = "1000");
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [SetUp]
    public void ResetSimulators() => _factory.Reset();

    private static HttpRequestMessage StreamRequest(string messages = Conversation) =>
        new(HttpMethod.Post, "/chat") { Content = Json($$"""{"messages":{{messages}},"stream":true}""") };

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) =>
        _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

    [Test]
    public async Task StreamTrueAnswersEventsWithOneDeltaPerPieceThenDoneWithUsage()
    {
        using var request = StreamRequest();
        using var response = await SendAsync(request);
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());
        using var plain = await _client.PostAsync("/chat", Json($$"""{"messages":{{Conversation}}}"""));
        var whole = await plain.ReadJsonAsync();

        var deltas = events.Where(e => e.Name == "delta").Select(e => e.Json.GetProperty("content").GetString()).ToList();
        var done = events[^1];
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(response.Headers.CacheControl?.NoCache, Is.True);
            Assert.That(deltas, Has.Count.GreaterThan(5).And.All.Not.Empty);
            Assert.That(string.Concat(deltas), Is.EqualTo(whole.GetProperty("content").GetString()));
            Assert.That(events.Count(e => e.Name == "done"), Is.EqualTo(1));
            Assert.That(done.Name, Is.EqualTo("done"));
            Assert.That(done.Json.GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(done.Json.GetProperty("model").GetString(), Is.EqualTo(PoolApiFactory.Deployment));
            Assert.That(done.Json.GetProperty("usage").GetProperty("total_tokens").GetInt32(),
                Is.EqualTo(whole.GetProperty("usage").GetProperty("total_tokens").GetInt32()).And.GreaterThan(0));
        });
    }

    [Test]
    public async Task StreamFalseAnswersJson()
    {
        using var response = await _client.PostAsync("/chat", Json($$"""{"messages":{{Conversation}},"stream":false}"""));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        });
    }

    [Test]
    public async Task AnInvalidStreamedConversationIsAValidationProblem()
    {
        using var request = StreamRequest("""[{"role":"robot","content":"hi"}]""");
        using var response = await SendAsync(request);

        await response.AssertValidationProblemAsync("messages[0].role");
        Assert.That(_factory.Requests(0) + _factory.Requests(1), Is.Zero);
    }

    [Test]
    public async Task AFailureBeforeTheFirstByteFailsOverAndTheClientSeesOnlyTheAnswer()
    {
        _factory.Simulators[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        using var request = StreamRequest();
        using var response = await SendAsync(request);
        var events = ServerSentEvent.Parse(await response.Content.ReadAsStringAsync());

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(events[^1].Name, Is.EqualTo("done"));
            Assert.That(events.Any(e => e.Name == "error"), Is.False);
            Assert.That(_factory.Requests(0, "503"), Is.EqualTo(1));
            Assert.That(_factory.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WhenNoUpstreamCanStartTheStreamTheClientGetsProblemDetailsWithRetryAfter()
    {
        await using var factory = await PoolApiFactory.StartAsync(2);
        using var client = factory.CreateClient();
        factory.Simulators[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Target = "openai" });
        factory.Simulators[1].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai" });

        using var request = StreamRequest();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.That(int.Parse(response.RetryAfter()!, System.Globalization.CultureInfo.InvariantCulture), Is.InRange(19, 20),
            "from the earliest recovery (b's 20 s)");
    }

    [Test]
    public async Task AFailureMidStreamEndsWithAnErrorEventNotASilentCut()
    {
        // Wide margins both ways on a busy machine: pieces come every ~100 ms against a 3 s idle timeout, the whole
        // answer (~60 tokens) would take ~6 s, which is the time this test has to make the upstream go quiet, and the
        // stall (30 s per token) is ten times the idle timeout.
        await using var api = _factory.WithWebHostBuilder(b => b.UseSetting("AzureOpenAI:StreamIdleTimeoutSeconds", "3"));
        using var client = api.CreateClient();
        _factory.Simulators[0].Options.LatencyPerTokenMs = 100;

        using var request = StreamRequest();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body, Encoding.UTF8);
        var first = await ServerSentEvent.ReadAsync(reader);
        // The upstream goes quiet after the first piece of text: past the 3 s idle timeout.
        _factory.Simulators[0].Options.LatencyPerTokenMs = 30_000;
        var rest = ServerSentEvent.Parse(await reader.ReadToEndAsync());

        var error = rest[^1];
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the status was sent with the first byte");
            Assert.That(first?.Name, Is.EqualTo("delta"));
            Assert.That(rest.Any(e => e.Name == "done"), Is.False);
            Assert.That(error.Name, Is.EqualTo("error"));
            Assert.That(error.Json.GetProperty("status").GetInt32(), Is.EqualTo(504));
            Assert.That(error.Json.GetProperty("code").GetString(), Is.EqualTo("upstream_timeout"));
            Assert.That(error.Json.GetProperty("title").GetString(), Is.Not.Empty);
            Assert.That(error.Json.GetProperty("detail").GetString(), Does.Contain("stopped sending"));
            Assert.That(error.Json.GetProperty("type").GetString(), Does.StartWith("https://"));
            Assert.That(_factory.Requests(1), Is.Zero, "no failover after the first byte");
        });
    }

    [Test]
    public async Task EventsAreFlushedAsTheyComeAndAClientThatLeavesCancelsTheUpstreamCall()
    {
        // 60 tokens at 500 ms: the whole answer would take 30 s, far beyond the 10 s this test waits for the cancel.
        _factory.Simulators[0].Options.LatencyPerTokenMs = 500;

        using (var request = StreamRequest())
        using (var response = await SendAsync(request))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(body, Encoding.UTF8);
            var first = await ServerSentEvent.ReadAsync(reader);

            Assert.Multiple(() =>
            {
                Assert.That(first?.Name, Is.EqualTo("delta"), "the first event arrived while the answer was still being written");
                Assert.That(_factory.Requests(0), Is.Zero, "the simulator is still streaming");
            });
        }

        // The client is gone: the simulator's streaming handler ends (and is counted) long before its 30 s.
        await SimulatorRecords.WaitUntilAsync(() => _factory.Requests(0) > 0);

        Assert.That(_factory.Requests(0), Is.EqualTo(1), "the upstream call was cancelled with the client's request");
    }
}
