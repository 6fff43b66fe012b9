using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Who a rate limit counts: the client key's name, else the client address, where X-Forwarded-For counts only
/// when it comes from a proxy configured as trusted (ForwardedHeaders:KnownProxies / KnownNetworks; none by default).
/// The platform probes /health/live and /health/ready are never limited.</summary>
public sealed class ClientPartitionTests
{
    private const string Gateway = "10.0.0.5";
    private const string PeerHeader = "X-Test-Peer";

    /// <summary>TestServer has no socket: this sets the connection's remote address from a test header, before the app.</summary>
    private sealed class PeerAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(PeerHeader, out var peer))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private static (SecuredApiFactory Factory, HttpClient Client) Start(Dictionary<string, string> settings)
    {
        settings["RateLimiting:PermitLimit"] = "2";
        settings["RateLimiting:WindowSeconds"] = "3600";
        var factory = new SecuredApiFactory(settings);
        var client = factory
            .WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<IStartupFilter, PeerAddressFilter>()))
            .CreateClient();
        return (factory, client);
    }

    private static async Task<HttpStatusCode> Get(HttpClient client, string path, string peer, string? forwardedFor = null, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(PeerHeader, peer);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (key is not null)
        {
            request.Headers.Add("api-key", key);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode[]> ThreeFromEachOf(HttpClient client, string peer, params string[] forwardedFor)
    {
        var codes = new List<HttpStatusCode>();
        foreach (var xff in forwardedFor)
        {
            for (var i = 0; i < 3; i++)
            {
                codes.Add(await Get(client, "/completion?query=hi", peer, xff));
            }
        }

        return codes.ToArray();
    }

    [Test]
    public async Task ShouldIgnoreXForwardedForByDefault()
    {
        var (factory, client) = Start([]);
        await using var _ = factory;
        using var __ = client;

        var codes = await ThreeFromEachOf(client, Gateway, "203.0.113.1", "203.0.113.2");

        Assert.That(codes.Count(c => c == HttpStatusCode.TooManyRequests), Is.EqualTo(4),
            "without a trusted proxy every request from the gateway shares one budget of 2, whatever the header says");
    }

    [TestCase("ForwardedHeaders:KnownProxies:0", Gateway)]
    [TestCase("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/24")]
    public async Task ShouldPartitionByTheForwardedClientBehindATrustedProxy(string key, string value)
    {
        var (factory, client) = Start(new Dictionary<string, string> { [key] = value });
        await using var _ = factory;
        using var __ = client;

        var codes = await ThreeFromEachOf(client, Gateway, "203.0.113.1", "203.0.113.2");

        Assert.That(codes, Is.EqualTo(new[]
        {
            HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
            HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
        }), "each forwarded client has its own budget");
    }

    [Test]
    public async Task ShouldIgnoreXForwardedForFromAnUntrustedSender()
    {
        var (factory, client) = Start(new Dictionary<string, string> { ["ForwardedHeaders:KnownProxies:0"] = Gateway });
        await using var _ = factory;
        using var __ = client;

        var codes = await ThreeFromEachOf(client, "198.51.100.7", "203.0.113.1", "203.0.113.2");

        Assert.That(codes.Count(c => c == HttpStatusCode.TooManyRequests), Is.EqualTo(4), "a client cannot choose its own partition");
    }

    [Test]
    public async Task ShouldPartitionByKeyNameWhateverTheAddress()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["ForwardedHeaders:KnownProxies:0"] = Gateway;
        var (factory, client) = Start(settings);
        await using var _ = factory;
        using var __ = client;

        var alice = new[]
        {
            await Get(client, "/completion?query=hi", Gateway, "203.0.113.1", SecuredApiFactory.AliceKey),
            await Get(client, "/completion?query=hi", Gateway, "203.0.113.2", SecuredApiFactory.AliceKey),
            await Get(client, "/completion?query=hi", "198.51.100.7", null, SecuredApiFactory.AliceKey),
        };
        var bob = await Get(client, "/completion?query=hi", Gateway, "203.0.113.1", SecuredApiFactory.BobKey);

        Assert.Multiple(() =>
        {
            Assert.That(alice, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            Assert.That(bob, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase("/health/live")]
    [TestCase("/health/ready")]
    [TestCase("/HEALTH/READY/")]
    public async Task ShouldNeverRateLimitTheProbes(string path)
    {
        var (factory, client) = Start(new Dictionary<string, string> { ["ForwardedHeaders:KnownProxies:0"] = Gateway });
        await using var _ = factory;
        using var __ = client;

        // The gateway's own budget (2) is spent by client traffic ...
        var spent = new[]
        {
            await Get(client, "/completion?query=hi", Gateway),
            await Get(client, "/completion?query=hi", Gateway),
            await Get(client, "/completion?query=hi", Gateway),
        };
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            codes.Add(await Get(client, path, Gateway));
            codes.Add(await Get(client, path, Gateway, "203.0.113.1"));
        }

        Assert.Multiple(() =>
        {
            Assert.That(spent[^1], Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(codes, Is.All.EqualTo(HttpStatusCode.OK), "... and the probes still answer");
        });
    }
}
