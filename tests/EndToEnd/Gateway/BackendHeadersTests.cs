using System.Net;
using Wrapper.EndToEndTests.Infrastructure;
using Wrapper.Gateway;

namespace Wrapper.EndToEndTests.Gateway;

/// <summary>What the gateway sends to a backend, as the APIM policies do: <c>X-Backend-Instance</c> naming the backend
/// of each try; with subscribers configured, only callers with a subscription key get through, their credentials stay
/// at the gateway, the gateway's own backend key goes instead, and the subscriber's id and product travel in
/// <c>X-APIM-Subscription-Id</c> / <c>X-APIM-Product-Id</c> (never the client's own values).</summary>
[TestFixture]
public sealed class BackendHeadersTests : GatewayOverFakeBackends
{
    private const string AliceKey = "alice-subscription-key-0001";
    private const string BobKey = "bob-subscription-key-000002";
    private const string BackendKey = "gateway-backend-key-0123456789abcdef";

    private static Dictionary<string, string?> WithSubscribers() => new()
    {
        ["Gateway:Subscribers:0:Id"] = "sub-alice",
        ["Gateway:Subscribers:0:Key"] = AliceKey,
        ["Gateway:Subscribers:0:Product"] = "starter",
        ["Gateway:Subscribers:1:Id"] = "sub-bob",
        ["Gateway:Subscribers:1:Key"] = BobKey,
        ["Gateway:BackendApiKey"] = BackendKey,
    };

    private static HttpRequestMessage Get(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    [Test]
    public async Task ShouldNameTheChosenBackendInXBackendInstanceOnEveryTry()
    {
        var gateway = await StartAsync(3);
        using var client = gateway.CreateClient();
        for (var i = 0; i < 6; i++)
        {
            using var request = Get("completion", (WrapperHeaders.BackendInstance, "spoofed"));
            using var response = await client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // A failover: the second backend of the same request is named as itself.
        Backends[0].FailWith(503);
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync("completion?query=failover");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.Multiple(() =>
        {
            foreach (var backend in Backends)
            {
                Assert.That(backend.Requests, Is.Not.Empty);
                Assert.That(backend.Requests.Select(r => r.Header(WrapperHeaders.BackendInstance)), Is.All.EqualTo(backend.Name), backend.Name);
            }
        });
    }

    [Test]
    public async Task ShouldDropSubscriberHeadersAClientSendsToAnOpenGateway()
    {
        var gateway = await StartAsync(1);
        using var client = gateway.CreateClient();
        using var request = Get("completion", (WrapperHeaders.SubscriptionId, "sub-someone-else"), (WrapperHeaders.ProductId, "premium"), ("api-key", "the-clients-own-key"));

        using var response = await client.SendAsync(request);

        var received = Backends[0].Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(received.Header(WrapperHeaders.SubscriptionId), Is.Null);
            Assert.That(received.Header(WrapperHeaders.ProductId), Is.Null);
            Assert.That(received.Header("api-key"), Is.EqualTo("the-clients-own-key"), "without subscribers the gateway passes the caller's key through");
        });
    }

    [TestCase(null, "missing_subscription_key")]
    [TestCase("not-a-subscriber-key-at-all", "invalid_subscription_key")]
    public async Task ShouldRefuseACallerWithoutAValidSubscriptionKey(string? key, string code)
    {
        var gateway = await StartAsync(2, WithSubscribers());
        using var client = gateway.CreateClient();
        using var request = key is null ? Get("completion") : Get("completion", ("Ocp-Apim-Subscription-Key", key));

        using var response = await client.SendAsync(request);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That((await response.JsonAsync()).GetProperty("code").GetString(), Is.EqualTo(code));
            Assert.That(response.Headers.WwwAuthenticate, Is.Not.Empty);
            Assert.That(Backends.Sum(b => b.CountRequests()), Is.Zero, "nothing reaches a backend");
            Assert.That((await gateway.StatusAsync()).Available, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task ShouldSendTheSubscriberAndTheGatewaysOwnKeyInsteadOfTheCallersCredentials()
    {
        var gateway = await StartAsync(1, WithSubscribers());
        using var client = gateway.CreateClient();
        using var alice = Get("completion",
            ("Ocp-Apim-Subscription-Key", AliceKey),
            ("Authorization", "Bearer something"),
            (WrapperHeaders.SubscriptionId, "sub-bob"),
            (WrapperHeaders.ProductId, "premium"));
        using var bob = Get("completion", ("api-key", BobKey), (WrapperHeaders.ProductId, "premium"));

        using var aliceResponse = await client.SendAsync(alice);
        using var bobResponse = await client.SendAsync(bob);

        var received = Backends[0].Requests.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(aliceResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bobResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the api-key header is accepted as the subscription key too, as the deployed APIM does");
            Assert.That(received, Has.Count.EqualTo(2));
            Assert.That(received[0].Header(WrapperHeaders.SubscriptionId), Is.EqualTo("sub-alice"));
            Assert.That(received[0].Header(WrapperHeaders.ProductId), Is.EqualTo("starter"));
            Assert.That(received[1].Header(WrapperHeaders.SubscriptionId), Is.EqualTo("sub-bob"));
            Assert.That(received[1].Header(WrapperHeaders.ProductId), Is.Null, "bob has no product: the client's value is dropped");
            Assert.That(received.Select(r => r.Header("api-key")), Is.All.EqualTo(BackendKey));
            Assert.That(received.Select(r => r.Header("Ocp-Apim-Subscription-Key")), Is.All.Null);
            Assert.That(received.Select(r => r.Header("Authorization")), Is.All.Null);
        });
    }

    [TestCase("openai/v1/chat/completions")]
    [TestCase("openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21")]
    [TestCase("openai/v1/models")]
    public async Task OnTheOpenAIRoutesShouldAdmitABearerSubscriptionKeyAndNeverForwardIt(string path)
    {
        var gateway = await StartAsync(1, WithSubscribers());
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(path.Contains("models", StringComparison.Ordinal) ? HttpMethod.Get : HttpMethod.Post, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + AliceKey);
        if (request.Method == HttpMethod.Post)
        {
            request.Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        var received = Backends[0].Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(received.PathAndQuery, Is.EqualTo("/" + path), "the route and its api-version reach the instance as they came");
            Assert.That(received.Header("Authorization"), Is.Null, "the caller's bearer stays at the gateway");
            Assert.That(received.Header("api-key"), Is.EqualTo(BackendKey));
            Assert.That(received.Header(WrapperHeaders.SubscriptionId), Is.EqualTo("sub-alice"));
            Assert.That(received.Headers.Values, Has.None.Contains(AliceKey), "the subscriber's key is in no header the instance receives");
        });
    }

    [Test]
    public async Task ABearerKeyShouldNotBeASubscriptionKeyOutsideTheOpenAIRoutes()
    {
        var gateway = await StartAsync(1, WithSubscribers());
        using var client = gateway.CreateClient();
        using var request = Get("completion", ("Authorization", "Bearer " + AliceKey));

        using var response = await client.SendAsync(request);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That((await response.JsonAsync()).GetProperty("code").GetString(), Is.EqualTo("missing_subscription_key"));
            Assert.That(Backends[0].CountRequests(), Is.Zero);
        });
    }

    [TestCase(null, "missing_subscription_key")]
    [TestCase("Bearer not-a-subscriber-key-at-all", "invalid_subscription_key")]
    public async Task OnTheOpenAIRoutesShouldRefuseInOpenAIsErrorShape(string? authorization, string code)
    {
        var gateway = await StartAsync(1, WithSubscribers());
        using var client = gateway.CreateClient();
        using var request = authorization is null ? Get("openai/v1/models") : Get("openai/v1/models", ("Authorization", authorization));

        using var response = await client.SendAsync(request);

        var body = await response.JsonAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That(body.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo(code));
            Assert.That(body.GetProperty("error").GetProperty("type").GetString(), Is.EqualTo("invalid_request_error"));
            Assert.That(body.GetProperty("error").GetProperty("message").GetString(), Is.Not.Empty);
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
            Assert.That(Backends[0].CountRequests(), Is.Zero);
        });
    }

    [Test]
    public void ShouldRefuseToStartWithABackendKeyButNoSubscribers()
    {
        var ex = Assert.ThrowsAsync<GatewayConfigurationException>(async () =>
            await StartAsync(1, new Dictionary<string, string?> { ["Gateway:BackendApiKey"] = BackendKey }));

        Assert.That(ex!.Message, Does.Contain("Gateway:BackendApiKey"));
    }

    [Test]
    public void ShouldRefuseToStartWithAShortOrSharedSubscriptionKey()
    {
        var settings = WithSubscribers();
        settings["Gateway:Subscribers:0:Key"] = "short";
        settings["Gateway:Subscribers:2:Id"] = "sub-carol";
        settings["Gateway:Subscribers:2:Key"] = BobKey;

        var ex = Assert.ThrowsAsync<GatewayConfigurationException>(async () => await StartAsync(1, settings));

        Assert.That(ex!.Errors, Has.Some.Contains("Gateway:Subscribers:0:Key").And.Contains("at least 16"));
        Assert.That(ex.Errors, Has.Some.Contains("Gateway:Subscribers:2:Key").And.Contains("another subscriber"));
        Assert.That(string.Join(" ", ex.Errors), Does.Not.Contain(BobKey), "keys never appear in messages");
    }
}
