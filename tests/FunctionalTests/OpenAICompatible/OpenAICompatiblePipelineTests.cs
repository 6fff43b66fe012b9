extern alias simulator;

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using simulator::Wrapper.Simulator;
using Wrapper.FunctionalTests.Streaming;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.FunctionalTests.OpenAICompatible;

/// <summary>The OpenAI-compatible routes in front of a pool of two simulators on the dated API (as two Azure OpenAI
/// resources): the body relayed untouched but <c>model</c> and <c>include_usage</c>, the keys kept on their own side,
/// failover before the first byte, a mid-stream failure told in OpenAI's stream error shape, throttling passed on with
/// Retry-After, and the upstream's own 400 messages passed on without its address. Every request the service sends
/// upstream is recorded by a handler in its HTTP client.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OpenAICompatiblePipelineTests
{
    private const string ClientKey = "pipeline-client-key-0123456789abcdef012";
    private const string Messages = """[{"role":"user","content":"Relay me, please."}]""";

    private PoolApiFactory _pool = null!;
    private WebApplicationFactory<Program> _api = null!;
    private HttpClient _client = null!;
    private readonly ConcurrentQueue<SentUpstream> _sent = new();

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _pool = await PoolApiFactory.StartAsync(2, s =>
        {
            s["AzureOpenAI:CircuitBreaker:MinimumThroughput"] = "1000";
            s["AzureOpenAI:MaxRetries"] = "0";
            s["API_KEYS"] = "team:" + ClientKey;
            s["OpenAICompatible:Models:team-chat"] = PoolApiFactory.Deployment;
        });
        _api = _pool.WithWebHostBuilder(b => b.ConfigureServices(services =>
            services.AddHttpClient(AzureOpenAIClientFactory.HttpClientName).AddHttpMessageHandler(() => new RecordingHandler(_sent))));
        _client = _api.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _pool.DisposeAsync();
    }

    [SetUp]
    public void Reset()
    {
        _pool.Reset();
        _sent.Clear();
    }

    private Task<HttpResponseMessage> PostAsync(string json, string path = "/openai/v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [Test]
    public async Task TheBodyReachesTheUpstreamUntouchedButItsModel()
    {
        var body = JsonNode.Parse("""
            {"model":"team-chat","messages":MESSAGES,"seed":42,"temperature":0.25,"logprobs":true,"top_logprobs":2,
             "response_format":{"type":"json_object"},"user":"u-1","x_vendor_extension":{"nested":[1,"two",null]},
             "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],
             "tool_choice":"none"}
            """.Replace("MESSAGES", Messages, StringComparison.Ordinal))!.AsObject();

        using var response = await PostAsync(body.ToJsonString());
        var answer = await response.Content.ReadAsStringAsync();
        var sent = _sent.Single();
        var upstreamBody = JsonNode.Parse(sent.Body)!.AsObject();

        var expected = body.DeepClone().AsObject();
        expected["model"] = PoolApiFactory.Deployment;
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer);
            Assert.That(JsonNode.DeepEquals(upstreamBody, expected), Is.True, sent.Body);
            Assert.That(upstreamBody.Select(p => p.Key), Is.EqualTo(body.Select(p => p.Key)), "in the client's order");
            // The dated upstream's own operation: its deployment in the path, its configured api-version.
            Assert.That(sent.Uri.AbsolutePath, Is.EqualTo($"/openai/deployments/{PoolApiFactory.Deployment}/chat/completions"));
            Assert.That(sent.Uri.Query, Is.EqualTo("?api-version=2025-04-01-preview"));
        });
    }

    [Test]
    public async Task AStreamAsksForTheUsageAndKeepsTheClientsOtherStreamOptions()
    {
        using var response = await PostAsync($$$"""{"model":"team-chat","messages":{{{Messages}}},"stream":true,"stream_options":{"include_usage":false,"x_flag":1}}""");
        var text = await response.Content.ReadAsStringAsync();
        var upstreamBody = JsonNode.Parse(_sent.Single().Body)!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(upstreamBody["stream_options"]!["include_usage"]!.GetValue<bool>(), Is.True);
            Assert.That(upstreamBody["stream_options"]!["x_flag"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(text, Does.EndWith("data: [DONE]\n\n"));
            Assert.That(text, Does.Contain("\"usage\":{\"prompt_tokens\""));
        });
    }

    [Test]
    public async Task TheClientKeyStaysHereAndTheUpstreamKeyStaysThere()
    {
        using var response = await PostAsync($$"""{"model":"team-chat","messages":{{Messages}}}""");
        var answer = await response.Content.ReadAsStringAsync();
        var sent = _sent.Single();
        var responseHeaders = string.Join("\n", response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value.Select(v => $"{h.Key}: {v}")));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer);
            Assert.That(sent.Headers, Does.Not.Contain(ClientKey), "the client's key is never sent upstream");
            Assert.That(sent.Headers, Does.Contain("api-key: " + PoolApiFactory.ApiKey), "the upstream gets its own key");
            Assert.That(sent.Headers, Does.Not.Contain("Authorization"), "nor the client's Authorization header");
            Assert.That(answer + responseHeaders, Does.Not.Contain(PoolApiFactory.ApiKey));
            Assert.That(answer + responseHeaders, Does.Not.Contain(_pool.Simulators[0].HttpAddress.Authority));
            Assert.That(response.Headers.Contains("x-ms-region"), Is.False, "no upstream header is passed on");
        });
    }

    [Test]
    public async Task AFailureBeforeTheFirstByteFailsOverForAStream()
    {
        _pool.Simulators[0].Faults.Add(new FaultSpec { Status = 503, Target = "openai" });

        using var response = await PostAsync($$"""{"model":"team-chat","messages":{{Messages}},"stream":true}""");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(text, Does.EndWith("data: [DONE]\n\n"));
            Assert.That(text, Does.Not.Contain("\"error\""));
            Assert.That(_pool.Requests(0, "503"), Is.EqualTo(1));
            Assert.That(_pool.Requests(1, "200"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task WhenEveryUpstreamThrottlesTheClientGets429WithRetryAfterInOpenAIsShape()
    {
        await using var factory = await PoolApiFactory.StartAsync(2, s => s["API_KEYS"] = "team:" + ClientKey);
        using var client = factory.CreateClient();
        factory.Simulators[0].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 30, Target = "openai" });
        factory.Simulators[1].Faults.Add(new FaultSpec { Status = 429, RetryAfterSeconds = 20, Target = "openai" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview")
        {
            Content = new StringContent($$"""{"messages":{{Messages}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", ClientKey);

        using var response = await client.SendAsync(request);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        var retryAfter = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("rate_limited"));
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("requests"));
            Assert.That(retryAfter, Is.InRange(19, 20), "from the earliest recovery (b's 20 s)");
            Assert.That(response.Headers.GetValues("retry-after-ms").Single(), Is.EqualTo((retryAfter * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(response.Headers.Contains("X-Wrapper-Refusal"), Is.False, "the upstream's throttling is not the client's doing");
        });
    }

    [Test]
    public async Task TheUpstreamsContentFilterRefusalReachesTheClientInOpenAIsShape()
    {
        using var response = await PostAsync("""{"model":"team-chat","messages":[{"role":"user","content":"please trigger-content-filter now"}]}""");
        var text = await response.Content.ReadAsStringAsync();
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), text);
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("content_filter"));
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("content management policy"), "Azure's own message");
            Assert.That(text, Does.Not.Contain(_pool.Simulators[0].HttpAddress.Authority).And.Not.Contain(PoolApiFactory.ApiKey));
            Assert.That(_pool.Requests(1), Is.Zero, "a refusal of the request itself does not fail over");
        });
    }

    [Test]
    public async Task AFailureMidStreamEndsWithAnErrorEventAndNoDone()
    {
        await using var api = _api.WithWebHostBuilder(b => b.UseSetting("AzureOpenAI:StreamIdleTimeoutSeconds", "3"));
        using var client = api.CreateClient();
        _pool.Simulators[0].Options.LatencyPerTokenMs = 100;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"team-chat","messages":{{Messages}},"stream":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", ClientKey);

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body, Encoding.UTF8);
        var first = await reader.ReadLineAsync();
        // The upstream goes quiet after the answer began: past the 3 s idle timeout.
        _pool.Simulators[0].Options.LatencyPerTokenMs = 30_000;
        var events = (await reader.ReadToEndAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var error = JsonDocument.Parse(events[^1]["data: ".Length..]).RootElement.GetProperty("error");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first, Does.StartWith("data: {"));
            Assert.That(events, Has.None.EqualTo("data: [DONE]"));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("upstream_timeout"));
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("server_error"));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("stopped sending"));
            Assert.That(_pool.Requests(1), Is.Zero, "no failover after the first byte");
        });
    }

    /// <summary>What the service sent upstream: the address, every header as <c>name: value</c> lines, and the body.</summary>
    private sealed record SentUpstream(Uri Uri, string Headers, string Body);

    private sealed class RecordingHandler(ConcurrentQueue<SentUpstream> sent) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                .SelectMany(h => h.Value.Select(v => $"{h.Key}: {v}"));
            if (request.RequestUri!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                sent.Enqueue(new SentUpstream(request.RequestUri, string.Join("\n", headers), body));
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
