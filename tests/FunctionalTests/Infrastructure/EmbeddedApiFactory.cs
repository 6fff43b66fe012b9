using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>The API as it starts with no configuration at all: no OPENAI_ENDPOINT, so the embedded simulator
/// answers (through the real adapter and HTTP).</summary>
public sealed class EmbeddedApiFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the embedded simulator answers only on request.
        builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
        // Empty wins over any OPENAI_ENDPOINT the machine might have in its environment.
        builder.UseSetting("OPENAI_ENDPOINT", string.Empty);
        builder.UseSetting("OPENAI_API_KEY", string.Empty);
        builder.UseSetting("OPENAI_SIMULATED", string.Empty);
        builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }

    /// <summary>The key the API uses to call its embedded simulator: it must never show in a response.</summary>
    public string ApiKey => Services.GetRequiredService<IConfiguration>()["OPENAI_API_KEY"]
                            ?? throw new InvalidOperationException("OPENAI_API_KEY was not set by the embedded simulator.");
}
