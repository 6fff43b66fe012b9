using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Infrastructure.Telemetry;
using System.Text.Json;
using Wrapper.FunctionalTests.Infrastructure;
using Wrapper.FunctionalTests.Security;

namespace Wrapper.FunctionalTests.Quotas;

/// <summary>Per-client quotas through the whole API on the embedded simulator, counted in memory (no Redis: one
/// instance). Every test starts away from the end of a minute, so that its requests share one minute window.</summary>
[NonParallelizable]
public sealed class ClientQuotaTests
{
    private const string RemainingRequests = "x-ratelimit-remaining-requests";
    private const string RemainingTokens = "x-ratelimit-remaining-tokens";

    private static async Task<SecuredApiFactory> StartAsync(params (string Key, string Value)[] quotas)
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["RateLimiting:PermitLimit"] = "0";
        foreach (var (key, value) in quotas)
        {
            settings[key] = value;
        }

        var factory = new SecuredApiFactory(settings);
        // Warm up (tokenizer, simulator) with a route that is not metered, then wait for a minute with room to spare.
        using var client = factory.CreateClient();
        using var _ = await client.GetAsync("/health/live");
        var second = DateTime.UtcNow.Second;
        if (second >= 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - second));
        }

        return factory;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = HttpAssertions.Json(json);
        }

        request.Headers.Add("api-key", key);
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> Completion(HttpClient client, string key) =>
        SendAsync(client, key, HttpMethod.Get, "/completion?query=hello");

    private static long Header(HttpResponseMessage response, string name) =>
        long.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    private static async Task<long> UsageAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64();
    }

    [Test]
    public async Task ShouldRefuseRequestsOverTheRequestsPerMinuteWith429AndTheClientRefusalMarker()
    {
        await using var factory = await StartAsync(("Quotas:Default:RequestsPerMinute", "2"));
        using var client = factory.CreateClient();

        using var first = await Completion(client, SecuredApiFactory.AliceKey);
        using var second = await Completion(client, SecuredApiFactory.AliceKey);
        using var third = await Completion(client, SecuredApiFactory.AliceKey);
        using var bob = await Completion(client, SecuredApiFactory.BobKey);

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(first, RemainingRequests), Is.EqualTo(1));
            Assert.That(Header(second, RemainingRequests), Is.EqualTo(0));
            Assert.That(first.Headers.Contains(RemainingTokens), Is.False, "no token limit, no token count");
            Assert.That(bob.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another client has its own budget");
            Assert.That(first.Headers.Contains("X-Wrapper-Refusal"), Is.False);
        });
        var problem = await third.AssertProblemAsync(HttpStatusCode.TooManyRequests, "client_rate_limited");
        var retryAfter = Header(third, "Retry-After");
        Assert.Multiple(() =>
        {
            Assert.That(retryAfter, Is.InRange(1, 60));
            Assert.That(problem.GetProperty("retryAfterSeconds").GetInt64(), Is.EqualTo(retryAfter));
            Assert.That(third.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
            Assert.That(Header(third, RemainingRequests), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task ShouldRefuseTokensOverTheTokensPerMinuteAndAcceptNoMoreThanTheLimit()
    {
        await using var factory = await StartAsync(("Quotas:Default:TokensPerMinute", "400"), ("Quotas:EstimatedCompletionTokens", "60"));
        using var client = factory.CreateClient();

        long accepted = 0;
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await Completion(client, SecuredApiFactory.AliceKey);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted += await UsageAsync(response);
                Assert.That(Header(response, RemainingTokens), Is.InRange(0, 400));
                response.Dispose();
            }
            else
            {
                refused = response;
            }
        }

        Assert.That(refused, Is.Not.Null, "the limit was reached");
        using (refused)
        {
            await refused!.AssertProblemAsync(HttpStatusCode.TooManyRequests, "client_token_limit");
            Assert.Multiple(() =>
            {
                Assert.That(accepted, Is.InRange(1, 400));
                Assert.That(Header(refused, "Retry-After"), Is.InRange(1, 60));
                Assert.That(refused.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
            });
        }
    }

    [Test]
    public async Task ShouldAnswer403WithTheResetTimeWhenAClientsQuotaIsUsedUp()
    {
        await using var factory = await StartAsync(
            ("Quotas:Clients:alice:TokenQuota", "100"),
            ("Quotas:Clients:alice:QuotaPeriod", "Hourly"),
            ("Quotas:EstimatedCompletionTokens", "60"));
        using var client = factory.CreateClient();

        using var first = await Completion(client, SecuredApiFactory.AliceKey);
        using var second = await Completion(client, SecuredApiFactory.AliceKey);
        using var bob = await Completion(client, SecuredApiFactory.BobKey);

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bob.StatusCode, Is.EqualTo(HttpStatusCode.OK), "bob has no quota of his own and the default has none");
            Assert.That(bob.Headers.Contains(RemainingTokens), Is.False);
        });
        var problem = await second.AssertProblemAsync(HttpStatusCode.Forbidden, "client_quota_exceeded");
        var now = DateTimeOffset.UtcNow;
        var nextHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeOffset.Parse(problem.GetProperty("resetsAt").GetString()!, CultureInfo.InvariantCulture), Is.EqualTo(nextHour));
            Assert.That(Header(second, "Retry-After"), Is.InRange(1, 3600));
            Assert.That(second.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
        });
    }

    [Test]
    public async Task ShouldCorrectReservationsToTheRealUsageOfAnswersAndStreams()
    {
        const long limit = 100_000;
        await using var factory = await StartAsync(("Quotas:Default:TokensPerMinute", limit.ToString(CultureInfo.InvariantCulture)));
        using var client = factory.CreateClient();

        // remaining after a reservation = limit - used before - estimate of this request (the same for the same request).
        using var first = await Completion(client, SecuredApiFactory.AliceKey);
        var estimate = limit - Header(first, RemainingTokens);
        var firstUsage = await UsageAsync(first);

        using var stream = await SendAsync(client, SecuredApiFactory.AliceKey, HttpMethod.Post, "/chat",
            """{"messages":[{"role":"user","content":"tell me a story"}],"stream":true}""");
        var events = await stream.Content.ReadAsStringAsync();
        Assert.That(stream.StatusCode, Is.EqualTo(HttpStatusCode.OK), events);
        var done = events.Split("\n\n").Single(e => e.StartsWith("event: done", StringComparison.Ordinal));
        using var doneData = JsonDocument.Parse(done[(done.IndexOf("data: ", StringComparison.Ordinal) + 6)..]);
        var streamUsage = doneData.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64();
        Assert.That(Header(stream, RemainingTokens), Is.LessThan(limit - firstUsage), "the stream's headers carry its reservation");

        using var third = await Completion(client, SecuredApiFactory.AliceKey);

        Assert.Multiple(() =>
        {
            Assert.That(firstUsage, Is.GreaterThan(0));
            Assert.That(streamUsage, Is.GreaterThan(0));
            Assert.That(Header(third, RemainingTokens), Is.EqualTo(limit - firstUsage - streamUsage - estimate),
                "the earlier reservations were replaced by the usage the model reported");
        });
    }

    [Test]
    public async Task ShouldGiveEachApimSubscriberBehindTheGatewayKeyItsOwnQuota()
    {
        const string gatewayKey = "apim-backend-key-0123456789abcdef0123";
        await using var factory = await StartAsync(
            ("Auth:ApiKeys:1:Name", "apim"),
            ("Auth:ApiKeys:1:Key", gatewayKey),
            ("Auth:ApiKeys:1:Gateway", "true"),
            ("Quotas:Default:RequestsPerMinute", "100"),
            ("Quotas:Clients:sub-a:RequestsPerMinute", "1"));
        using var client = factory.CreateClient();

        async Task<HttpResponseMessage> AsSubscriber(string subscription)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hello");
            request.Headers.Add("api-key", gatewayKey);
            request.Headers.Add("X-APIM-Subscription-Id", subscription);
            return await client.SendAsync(request);
        }

        using var first = await AsSubscriber("sub-a");
        using var second = await AsSubscriber("sub-a");
        using var other = await AsSubscriber("sub-b");

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(first, RemainingRequests), Is.EqualTo(0), "sub-a's own limit of 1");
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Header(other, RemainingRequests), Is.EqualTo(99), "sub-b has the default, its own bucket");
        });
        await second.AssertProblemAsync(HttpStatusCode.TooManyRequests, "client_rate_limited");
    }

    [Test]
    public async Task ShouldCountAgentQuestionsAsRequests()
    {
        await using var factory = await StartAsync(("Quotas:Default:RequestsPerMinute", "1"));
        using var client = factory.CreateClient();

        using var first = await SendAsync(client, SecuredApiFactory.AliceKey, HttpMethod.Post, "/bing-grounding?query=weather");
        using var second = await SendAsync(client, SecuredApiFactory.AliceKey, HttpMethod.Post, "/bing-grounding?query=weather");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        await second.AssertProblemAsync(HttpStatusCode.TooManyRequests, "client_rate_limited");
    }

    [Test]
    public async Task ShouldMeasureTokensPerClientAndRefusalsByReason()
    {
        await using var factory = await StartAsync(("Quotas:Default:RequestsPerMinute", "1"));
        using var client = factory.CreateClient();
        var meter = factory.Services.GetRequiredService<WrapperMetrics>().Meter;
        var seen = new ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            seen.Enqueue((i.Name, v, map));
        });
        listener.Start();

        using var answered = await Completion(client, SecuredApiFactory.AliceKey);
        using var refused = await Completion(client, SecuredApiFactory.AliceKey);
        var usage = await UsageAsync(answered);
        listener.Dispose();

        var all = seen.ToList();
        var tokens = all.Where(m => m.Instrument == "wrapper.client.token.usage" && Equals(m.Tags["wrapper.client"], "client:alice")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(tokens.Sum(m => m.Value), Is.EqualTo(usage), "input + output tokens of alice's answer");
            Assert.That(tokens.Select(m => m.Tags["gen_ai.token.type"]), Is.EquivalentTo(new[] { "input", "output" }));
            Assert.That(tokens.Select(m => m.Tags["gen_ai.operation.name"]), Is.All.EqualTo("chat"));
            Assert.That(all.Count(m => m.Instrument == "wrapper.quota.refusals" && Equals(m.Tags["wrapper.client"], "client:alice")
                                       && Equals(m.Tags["reason"], "client_rate_limited")), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task ShouldReportWhereTheCountersLiveInReadiness()
    {
        await using var factory = await StartAsync(("Quotas:Default:RequestsPerMinute", "100"));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(body.RootElement.GetProperty("checks").GetProperty("quota_store").GetProperty("status").GetString(), Is.EqualTo("healthy"));
    }
}
