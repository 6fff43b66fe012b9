using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Wrapper.FunctionalTests.Security;

/// <summary>The API on the embedded simulator with client keys (and any other settings) configured.</summary>
public sealed class SecuredApiFactory : WebApplicationFactory<Program>
{
    public const string AliceKey = "alice-secret-key-0123456789";
    // Keys in configuration are at least 32 characters (ApiKeyOptions.MinimumKeyLength); alice is configured by hash.
    public const string BobKey = "bob-secret-key-9876543210-fedcba9876543210";

    private readonly IReadOnlyDictionary<string, string> _settings;

    public SecuredApiFactory(IReadOnlyDictionary<string, string>? settings = null) => _settings = settings ?? new Dictionary<string, string>();

    /// <summary>alice by key hash in the Auth:ApiKeys list, bob through API_KEYS as name:key.</summary>
    public static Dictionary<string, string> WithKeys() => new()
    {
        ["Auth:ApiKeys:0:Name"] = "alice",
        ["Auth:ApiKeys:0:KeyHash"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AliceKey))).ToLowerInvariant(),
        ["API_KEYS"] = "bob:" + BobKey,
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the embedded simulator answers only on request.
        builder.UseSetting("WRAPPER_ALLOW_SIMULATOR", "true");
        builder.UseSetting("OPENAI_ENDPOINT", string.Empty);
        builder.UseSetting("OPENAI_API_KEY", string.Empty);
        builder.UseSetting("OPENAI_SIMULATED", string.Empty);
        builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.UseSetting("API_KEYS", string.Empty);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
