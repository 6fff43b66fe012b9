using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using Wrapper;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

/// <summary>
/// Per-subscriber identity behind a gateway (issue 12 item 2): <c>X-APIM-Subscription-Id</c> / <c>X-APIM-Product-Id</c>
/// are believed only on requests authenticated with a key configured as a gateway's (<c>Auth:ApiKeys:N:Gateway=true</c>,
/// or <c>API_KEYS=name[gateway]:key</c>), and then each subscriber has its own rate-limit bucket; from any other caller
/// they are ignored and removed. Refusals the client caused carry <c>X-Wrapper-Refusal: client</c> (item 1), and the
/// request log names the gateway's backend slot from <c>X-Backend-Instance</c> (item 8).
/// </summary>
public sealed class GatewayIdentityTests
{
    private const string GatewayKey = "apim-backend-key-0123456789abcdef0123";

    private sealed class CapturedEvents : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

        public IReadOnlyList<LogEvent> RequestLogs() =>
            Events.Where(e => e.MessageTemplate.Text.StartsWith("HTTP ", StringComparison.Ordinal)).ToList();
    }

    private static (SecuredApiFactory Factory, HttpClient Client, CapturedEvents Log) Start(bool gatewayFromEnvironment = false)
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["RateLimiting:PermitLimit"] = "2";
        settings["RateLimiting:WindowSeconds"] = "3600";
        settings["Serilog:MinimumLevel:Default"] = "Information";
        if (gatewayFromEnvironment)
        {
            settings["API_KEYS"] = settings["API_KEYS"] + ",apim[gateway]:" + GatewayKey;
        }
        else
        {
            settings["Auth:ApiKeys:1:Name"] = "apim";
            settings["Auth:ApiKeys:1:Key"] = GatewayKey;
            settings["Auth:ApiKeys:1:Gateway"] = "true";
        }

        var log = new CapturedEvents();
        var factory = new SecuredApiFactory(settings);
        var client = factory
            .WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILogEventSink>(log)))
            .CreateClient();
        return (factory, client, log);
    }

    private static async Task<HttpResponseMessage> Get(HttpClient client, string key, string? subscription = null, string? product = null, string? backendInstance = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Add("api-key", key);
        if (subscription is not null)
        {
            request.Headers.Add(WrapperHeaders.SubscriptionId, subscription);
        }

        if (product is not null)
        {
            request.Headers.Add(WrapperHeaders.ProductId, product);
        }

        if (backendInstance is not null)
        {
            request.Headers.Add(WrapperHeaders.BackendInstance, backendInstance);
        }

        return await client.SendAsync(request);
    }

    private static async Task<HttpStatusCode[]> Statuses(HttpClient client, string key, string? subscription, int count)
    {
        var codes = new HttpStatusCode[count];
        for (var i = 0; i < count; i++)
        {
            using var response = await Get(client, key, subscription);
            codes[i] = response.StatusCode;
        }

        return codes;
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task ShouldGiveEachSubscriberBehindTheGatewayKeyItsOwnBucket(bool gatewayFromEnvironment)
    {
        var (factory, client, _) = Start(gatewayFromEnvironment);
        await using var _ = factory;
        using var __ = client;

        var first = await Statuses(client, GatewayKey, "sub-first", 3);
        var second = await Statuses(client, GatewayKey, "sub-second", 3);
        var gatewayItself = await Statuses(client, GatewayKey, null, 3);

        var limited = new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests };
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(limited));
            Assert.That(second, Is.EqualTo(limited), "another subscriber is not affected although it arrives with the same key");
            Assert.That(gatewayItself, Is.EqualTo(limited), "the gateway's own calls (no subscriber) have the key's bucket");
        });
    }

    [Test]
    public async Task ShouldIgnoreSubscriberHeadersFromAClientThatIsNotAGateway()
    {
        var (factory, client, log) = Start();
        await using var _ = factory;
        using var __ = client;

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await Get(client, SecuredApiFactory.AliceKey, $"sub-invented-{i}", "premium");
            codes.Add(response.StatusCode);
        }

        Assert.That(codes, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests }),
            "alice cannot escape her bucket by naming subscribers");
        Assert.That(log.RequestLogs(), Has.Count.EqualTo(4));
        Assert.That(log.RequestLogs().Where(e => e.Properties.ContainsKey("Subscriber") || e.Properties.ContainsKey("Product")), Is.Empty,
            "a subscriber a non-gateway client named never reaches the log");
    }

    [Test]
    public async Task ShouldLogTheSubscriberAndProductTheGatewayVouchesFor()
    {
        var (factory, client, log) = Start();
        await using var _ = factory;
        using var __ = client;

        using var response = await Get(client, GatewayKey, "sub-first", "starter", backendInstance: "3");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var entry = log.RequestLogs().Single();
        Assert.Multiple(() =>
        {
            Assert.That(entry.Properties["Subscriber"].ToString(), Is.EqualTo("\"sub-first\""));
            Assert.That(entry.Properties["Product"].ToString(), Is.EqualTo("\"starter\""));
            Assert.That(entry.Properties["BackendInstance"].ToString(), Is.EqualTo("\"3\""));
        });
    }

    [TestCase("api-2", "\"api-2\"")]
    [TestCase("0", "\"0\"")]
    [TestCase("forged value; with spaces", null)]
    public async Task ShouldLogTheBackendSlotTheGatewayNamed(string value, string? logged)
    {
        var (factory, client, log) = Start();
        await using var _ = factory;
        using var __ = client;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/completion?query=hi");
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);
        request.Headers.TryAddWithoutValidation(WrapperHeaders.BackendInstance, value);
        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var entry = log.RequestLogs().Single();
        Assert.That(entry.Properties.TryGetValue("BackendInstance", out var instance) ? instance.ToString() : null, Is.EqualTo(logged));
    }

    [Test]
    public async Task ShouldMarkTheRefusalsTheClientCaused()
    {
        var (factory, client, _) = Start();
        await using var _ = factory;
        using var __ = client;

        await Statuses(client, SecuredApiFactory.BobKey, null, 2);
        using var limited = await Get(client, SecuredApiFactory.BobKey);
        using var noKey = await client.GetAsync("/completion?query=hi");
        using var badKey = await Get(client, "not-a-key-of-anyone-here");
        using var ok = await Get(client, SecuredApiFactory.AliceKey);

        Assert.Multiple(() =>
        {
            Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited.Headers.GetValues(WrapperHeaders.Refusal), Is.EqualTo(new[] { WrapperHeaders.ClientRefusal }));
            Assert.That(noKey.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(noKey.Headers.GetValues(WrapperHeaders.Refusal), Is.EqualTo(new[] { WrapperHeaders.ClientRefusal }));
            Assert.That(badKey.Headers.GetValues(WrapperHeaders.Refusal), Is.EqualTo(new[] { WrapperHeaders.ClientRefusal }));
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ok.Headers.Contains(WrapperHeaders.Refusal), Is.False);
        });
    }

    [Test]
    public async Task ShouldMarkAnOversizedBodyAsTheClientsRefusal()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["MAX_REQUEST_BODY_BYTES"] = "2048";
        await using var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chat")
        {
            Content = HttpAssertions.Json($$"""{"messages":[{"role":"user","content":"{{new string('a', 4096)}}"}]}"""),
        };
        request.Headers.Add("api-key", SecuredApiFactory.AliceKey);

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(response.Headers.GetValues(WrapperHeaders.Refusal), Is.EqualTo(new[] { WrapperHeaders.ClientRefusal }));
    }
}
