using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrapper.Testing;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>
/// Per-client quotas held across instances: a real redis-server, the simulator, three API processes sharing that Redis,
/// and src/Gateway in front of them, all on 127.0.0.1. One client bursting through the gateway (spread over the three
/// instances) gets no more than its tokens per minute in total; Redis killed in the middle of a run fails no request.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class QuotaClusterTests
{
    private const string SimulatorKey = "e2e-quota-simulator-key";
    private const string AliceKey = "alice-e2e-quota-key-0123456789abcdef";
    private const long TokensPerMinute = 6000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private RedisServer _redis = null!;
    private ChildProcess _simulator = null!;
    private readonly List<ChildProcess> _instances = [];
    private ChildProcess _gateway = null!;

    [OneTimeSetUp]
    public async Task StartCluster()
    {
        _redis = await RedisServer.StartAsync();
        _simulator = await ChildProcess.StartAsync("simulator", BuildOutput.Dll("Simulator"), ChildProcess.FreePort(),
            new Dictionary<string, string> { ["Simulator__ApiKey"] = SimulatorKey, ["Logging__LogLevel__Default"] = "Warning" }, StartTimeout);

        var ports = Enumerable.Range(1, 3).Select(_ => ChildProcess.FreePort()).ToList();
        var gatewayEnvironment = new Dictionary<string, string>
        {
            ["Gateway__ActiveHealth__Path"] = "/health/ready",
            ["Gateway__ActiveHealth__Interval"] = "00:00:00.500",
            ["Gateway__RequestTimeout"] = "00:00:30",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        for (var i = 0; i < ports.Count; i++)
        {
            gatewayEnvironment[$"Gateway__Backends__{i}__Name"] = $"api-{i + 1}";
            gatewayEnvironment[$"Gateway__Backends__{i}__Address"] = $"http://127.0.0.1:{ports[i]}/";
        }

        var instances = ports.Select((port, i) => ChildProcess.StartAsync($"api-{i + 1}", BuildOutput.Dll("Api"), port, new Dictionary<string, string>
        {
            ["OPENAI_ENDPOINT"] = _simulator.Address.ToString(),
            ["OPENAI_API_KEY"] = SimulatorKey,
            ["OPENAI_SIMULATED"] = "true",
            ["WRAPPER_ALLOW_SIMULATOR"] = "true",
            ["OPENAI_MODEL_DEPLOYMENT_NAME"] = "gpt-4o-mini",
            ["INSTANCE_ID"] = $"api-{i + 1}",
            ["AzureOpenAI__MaxRetries"] = "0",
            ["Health__CacheSeconds"] = "3600",
            ["Serilog__MinimumLevel__Default"] = "Warning",
            ["RateLimiting__PermitLimit"] = "0",
            ["API_KEYS"] = "alice:" + AliceKey,
            ["Redis__ConnectionString"] = _redis.ConnectionString,
            ["Redis__RetrySeconds"] = "1",
            // This test is about sharing, not about this machine's speed: on a loaded CI machine a round trip can pass the
            // default 50 ms, and each instance would then count on its own for a while (what the second test is about).
            ["Redis__TimeoutMilliseconds"] = "2000",
            ["Quotas__Default__TokensPerMinute"] = TokensPerMinute.ToString(CultureInfo.InvariantCulture),
            // The simulator answers 60 tokens: the estimate matches, as a well-chosen estimate would.
            ["Quotas__EstimatedCompletionTokens"] = "60",
        }, StartTimeout)).ToList();
        var gateway = ChildProcess.StartAsync("gateway", BuildOutput.Dll("Gateway"), ChildProcess.FreePort(), gatewayEnvironment, StartTimeout);
        try
        {
            _instances.AddRange(await Task.WhenAll(instances));
        }
        finally
        {
            _gateway = await gateway;
        }

        // Every instance in the gateway's pool with a passed probe before any test sends a request.
        using var client = Client();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                var status = await client.GetFromJsonAsync<Wrapper.Gateway.Status.GatewayStatus>("gateway/status");
                if (status!.Backends.Count == ports.Count && status.Backends.All(b => b.Available && b.ActiveHealth == "Healthy"))
                {
                    break;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Not every instance became healthy in the gateway's pool.");
            }

            await Task.Delay(100);
        }
    }

    [OneTimeTearDown]
    public async Task StopCluster()
    {
        foreach (var process in _instances.Append(_gateway).Append(_simulator).Where(p => p is not null))
        {
            await process.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private HttpClient Client() => new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = _gateway.Address, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<(HttpStatusCode Status, long Tokens, string? Instance, string? Code, string? Refusal)> AskAsync(HttpClient client, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=" + Uri.EscapeDataString(query));
        request.Headers.Add("api-key", AliceKey);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var instance = response.Headers.TryGetValues("X-Instance-Id", out var ids) ? ids.First() : null;
        var refusal = response.Headers.TryGetValues("X-Wrapper-Refusal", out var marks) ? marks.First() : null;
        using var json = JsonDocument.Parse(body);
        return response.StatusCode == HttpStatusCode.OK
            ? (response.StatusCode, json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64(), instance, null, refusal)
            : (response.StatusCode, 0, instance, json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : body, refusal);
    }

    /// <summary>Waits until the rest of the current minute leaves <paramref name="needed"/>, so a burst stays in one window.</summary>
    private static async Task StartOfAMinuteAsync(TimeSpan needed)
    {
        var now = DateTime.UtcNow;
        if (now.Second + now.Millisecond / 1000.0 > 60 - needed.TotalSeconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(60 - now.Second - now.Millisecond / 1000.0 + 0.5));
        }
    }

    [Test]
    [Order(1)]
    [CancelAfter(180_000)]
    public async Task ShouldKeepTheTokensPerMinuteOfABurstingClientWithinFivePercentOfItsLimitAcrossThreeInstances()
    {
        using var client = Client();
        await AskAsync(client, "warm up");
        await StartOfAMinuteAsync(TimeSpan.FromSeconds(40));
        var minute = DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute;

        var results = new ConcurrentBag<(HttpStatusCode Status, long Tokens, string? Instance, string? Code, string? Refusal)>();
        var stopAt = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            using var own = Client();
            var n = 0;
            while (DateTime.UtcNow < stopAt && DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute == minute)
            {
                results.Add(await AskAsync(own, $"burst {worker} {n++}"));
            }
        }));

        Assert.That(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute, Is.EqualTo(minute), "the burst stayed in one minute");
        var accepted = results.Where(r => r.Status == HttpStatusCode.OK).ToList();
        var refused = results.Where(r => r.Status != HttpStatusCode.OK).ToList();
        var total = accepted.Sum(r => r.Tokens);
        TestContext.Progress.WriteLine($"accepted {accepted.Count} answers, {total} tokens (limit {TokensPerMinute}); refused {refused.Count}; instances {string.Join(", ", accepted.GroupBy(r => r.Instance).Select(g => $"{g.Key}: {g.Count()}"))}");

        Assert.Multiple(() =>
        {
            Assert.That(total, Is.InRange((long)(TokensPerMinute * 0.95), (long)(TokensPerMinute * 1.05)), "tokens accepted in the minute, across all instances");
            Assert.That(accepted.Select(r => r.Instance).Distinct().Count(), Is.GreaterThanOrEqualTo(2), "the burst was spread over the instances");
            Assert.That(refused, Is.Not.Empty);
            Assert.That(refused.Select(r => (r.Status, r.Code, r.Refusal)), Is.All.EqualTo((HttpStatusCode.TooManyRequests, "client_token_limit", "client")));
        });
    }

    [Test]
    [Order(2)]
    [CancelAfter(180_000)]
    public async Task ShouldFailNoRequestWhenRedisIsKilledMidRunAndShareTheCountersAgainWhenItReturns()
    {
        using var client = Client();
        var results = new ConcurrentBag<(HttpStatusCode Status, string? Code)>();
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            using var own = Client();
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var r = await AskAsync(own, $"steady {worker} {n++}");
                results.Add((r.Status, r.Code));
                await Task.Delay(50);
            }
        }));

        await Task.Delay(TimeSpan.FromSeconds(2));
        await _redis.KillAsync();
        await Eventually(async () => (await StoresAsync()).All(s => s == "memory-fallback"), "every instance on its own counters");
        await Task.Delay(TimeSpan.FromSeconds(3));
        await _redis.RestartAsync();
        await Eventually(async () => (await StoresAsync()).All(s => s == "redis"), "every instance back on Redis");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await load;

        var failed = results.Where(r => r.Status != HttpStatusCode.OK && r.Code != "client_token_limit").ToList();
        TestContext.Progress.WriteLine($"{results.Count} requests: {results.Count(r => r.Status == HttpStatusCode.OK)} answered, {results.Count(r => r.Code == "client_token_limit")} over the limit");
        Assert.Multiple(() =>
        {
            Assert.That(results, Is.Not.Empty);
            Assert.That(failed, Is.Empty, "no request failed because Redis did");
        });
    }

    /// <summary>The quota store each instance reports in /health/ready.</summary>
    private async Task<IReadOnlyList<string?>> StoresAsync()
    {
        var stores = new List<string?>();
        foreach (var instance in _instances)
        {
            using var http = new HttpClient { BaseAddress = instance.Address, Timeout = TimeSpan.FromSeconds(10) };
            // With the client's key: an authenticated caller also sees the description of a degraded check.
            http.DefaultRequestHeaders.Add("api-key", AliceKey);
            using var response = await http.GetAsync("/health/ready");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var check = body.RootElement.GetProperty("checks").GetProperty("quota_store");
            stores.Add(check.TryGetProperty("description", out var description) ? description.GetString() : check.GetProperty("status").GetString());
        }

        return stores;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not {what} within 45 s.");
            }

            await Task.Delay(200);
        }
    }
}
