using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Wrapper.BrowserTests;

/// <summary>The API with its embedded simulator (opted in, as outside Development it must be) on Kestrel at
/// 127.0.0.1 on a free port, so that a real browser can reach it; with one client key, or none.</summary>
public sealed class SwaggerApiFactory : WebApplicationFactory<Program>
{
    private readonly string? _clientKey;

    public SwaggerApiFactory(string? clientKey)
    {
        _clientKey = clientKey;
        UseKestrel();
        StartServer();
        BaseAddress = CreateClient().BaseAddress ?? throw new InvalidOperationException("Kestrel has no address.");
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;/</summary>
    public Uri BaseAddress { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
        foreach (var key in new[] { "OPENAI_ENDPOINT", "OPENAI_API_KEY", "OPENAI_SIMULATED", "AZURE_AI_PROJECT_ENDPOINT", "AZURE_AI_AGENT_ID", "Auth:EntraId:Authority" })
        {
            builder.UseSetting(key, string.Empty);
        }

        builder.UseSetting("API_KEYS", _clientKey is null ? string.Empty : "browser:" + _clientKey);
        builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
        builder.UseSetting("AgentService:FirstPollDelayMs", "5");
        builder.UseSetting("AgentService:MaxPollDelayMs", "20");
        builder.UseSetting("RateLimiting:PermitLimit", "0");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }
}
