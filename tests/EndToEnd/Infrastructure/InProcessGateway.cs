using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Wrapper.Gateway;
using Wrapper.Gateway.Status;

namespace Wrapper.EndToEndTests.Infrastructure;

/// <summary>The gateway hosted in the test process on 127.0.0.1:0, in front of <see cref="FakeBackend"/>s.
/// Active probes are off unless a test turns them on, so that only the requests it sends change health.</summary>
public sealed class InProcessGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGateway(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessGateway> StartAsync(IReadOnlyList<FakeBackend> backends, IDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Gateway:ActiveHealth:Enabled"] = "false",
            ["Gateway:PassiveHealth:ReactivationPeriod"] = "00:01:00",
        };
        for (var i = 0; i < backends.Count; i++)
        {
            configuration[$"Gateway:Backends:{i}:Name"] = backends[i].Name;
            configuration[$"Gateway:Backends:{i}:Address"] = backends[i].Address.ToString();
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = GatewayApp.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        var app = GatewayApp.Build(builder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new InProcessGateway(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A client without a cookie jar unless one is given.</summary>
    public HttpClient CreateClient(System.Net.CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { UseCookies = cookies is not null, CookieContainer = cookies ?? new System.Net.CookieContainer() })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<GatewayStatus> StatusAsync()
    {
        using var client = CreateClient();
        return (await client.GetFromJsonAsync<GatewayStatus>("gateway/status"))!;
    }

    public async Task<BackendStatus> StatusOfAsync(string backend) =>
        (await StatusAsync()).Backends.Single(b => b.Name == backend);

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
