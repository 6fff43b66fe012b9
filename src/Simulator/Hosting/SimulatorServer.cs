using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Wrapper.Simulator;

/// <summary>
/// The simulator running in-process on Kestrel, on an ephemeral http port and an ephemeral https port of
/// 127.0.0.1. The https endpoint uses a self-signed certificate made at start (<see cref="Certificate"/>), which
/// clients trust explicitly, e.g. by comparing it in <c>ServerCertificateCustomValidationCallback</c>.
/// It reads no configuration file nor environment variable: <see cref="Options"/> is all it uses.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private SimulatorServer(WebApplication app, X509Certificate2 certificate, SimulatorOptions options, Uri http, Uri https)
    {
        _app = app;
        Certificate = certificate;
        Options = options;
        HttpAddress = http;
        HttpsAddress = https;
    }

    /// <summary>The plain http base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri HttpAddress { get; }

    /// <summary>The https base address, e.g. <c>https://127.0.0.1:41235/</c>.</summary>
    public Uri HttpsAddress { get; }

    /// <summary>The self-signed certificate of <see cref="HttpsAddress"/> (public part and key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The settings in use; changes apply to the next requests.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>The fault queue (same as <c>POST /_simulator/faults</c>).</summary>
    public FaultInjector Faults => Services.GetRequiredService<FaultInjector>();

    /// <summary>Requests served, by route and outcome (same as <c>GET /_simulator/state</c>).</summary>
    public RequestCounters Counters => Services.GetRequiredService<RequestCounters>();

    /// <summary>The simulator's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a simulator with <paramref name="options"/> (defaults when null).</summary>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= new SimulatorOptions();
        var certificate = SelfSignedCertificate.Create();
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(SimulatorServer).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Configuration.Sources.Clear();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0);
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
            });

            app = SimulatorApp.Build(builder, options);
            await app.StartAsync(ct);

            var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            var http = addresses.Select(a => new Uri(a)).Single(u => u.Scheme == Uri.UriSchemeHttp);
            var https = addresses.Select(a => new Uri(a)).Single(u => u.Scheme == Uri.UriSchemeHttps);
            return new SimulatorServer(app, certificate, options, http, https);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            certificate.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server and releases the certificate.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            Certificate.Dispose();
        }
    }
}
