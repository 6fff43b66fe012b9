using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>The adapter as the Api composes it: <c>AddInfrastructure</c> over configuration that uses the original
/// environment variable names, pointed at a simulator.</summary>
internal sealed class OpenAIAdapter : IAsyncDisposable
{
    public const string Key = "k";
    public const string Deployment = "gpt-4o-mini";

    private readonly ServiceProvider _services;

    private OpenAIAdapter(ServiceProvider services) => _services = services;

    public IChatCompletionService Chat => _services.GetRequiredService<IChatCompletionService>();

    public IUpstreamHealthProbe Probe => _services.GetRequiredService<IUpstreamHealthProbe>();

    public AzureOpenAIOptions Options => _services.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value;

    /// <summary>Settings for a fast, deterministic adapter: key auth, 2 retries, 10 ms back-off, and a generous 30 s
    /// budget so that a cold first call on a busy machine never reads as a timeout (deadline tests set their own).</summary>
    public static Dictionary<string, string?> Settings(Uri endpoint) => new()
    {
        ["OPENAI_ENDPOINT"] = endpoint.ToString(),
        ["OPENAI_API_KEY"] = Key,
        ["OPENAI_MODEL_DEPLOYMENT_NAME"] = Deployment,
        // Dated API: these tests count the dated routes (the v1 API, the default, has its own tests).
        ["OPENAI_API_VERSION"] = "2025-04-01-preview",
        ["AzureOpenAI:RequestTimeoutSeconds"] = "30",
        ["AzureOpenAI:MaxRetries"] = "2",
        ["AzureOpenAI:RetryBaseDelayMs"] = "10",
    };

    public static OpenAIAdapter Create(Uri endpoint, Action<Dictionary<string, string?>>? settings = null,
        Action<AzureOpenAIOptions>? configure = null, TokenCredential? credential = null)
    {
        var values = Settings(endpoint);
        settings?.Invoke(values);
        return Create(values, configure, credential);
    }

    public static OpenAIAdapter Create(Dictionary<string, string?> settings, Action<AzureOpenAIOptions>? configure = null,
        TokenCredential? credential = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddInfrastructure(configuration);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (credential is not null)
        {
            services.AddSingleton(credential);
        }

        return new OpenAIAdapter(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    /// <summary>Runs the start-up validation the host runs (ValidateOnStart).</summary>
    public void ValidateOnStart() => _services.GetRequiredService<IStartupValidator>().Validate();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
