using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.Agents;
using Wrapper.Infrastructure.Configuration;
using Wrapper.Infrastructure.Health;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.Infrastructure.Quotas;
using Wrapper.Infrastructure.Resilience;
using ChatClient = OpenAI.Chat.ChatClient;

namespace Wrapper.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Registers the upstream adapters and their validated options. Options bind from their sections and the
    /// original environment variable names, which win (OPENAI_PROMPT over <c>Chat:SystemPrompt</c>, OPENAI_ENDPOINT over
    /// <c>AzureOpenAI:Endpoint</c>, ...; see <see cref="ConfigurationKeys"/>), and are validated at start.</summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.BindWithAliases<ChatOptions>(configuration,
            (ChatOptions.SectionName, ""),
            (ConfigurationKeys.OpenAIPrompt, nameof(ChatOptions.SystemPrompt)));

        services.BindWithAliases<AzureOpenAIOptions>(configuration,
            (AzureOpenAIOptions.SectionName, ""),
            (ConfigurationKeys.OpenAIEndpoint, nameof(AzureOpenAIOptions.Endpoint)),
            (ConfigurationKeys.OpenAIApiKey, nameof(AzureOpenAIOptions.ApiKey)),
            (ConfigurationKeys.OpenAIApiVersion, nameof(AzureOpenAIOptions.ApiVersion)),
            (ConfigurationKeys.OpenAIDeployment, nameof(AzureOpenAIOptions.Deployment)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AzureOpenAIOptions>, AzureOpenAIOptionsValidator>());
        // Binding cannot tell a configured value from a default: whether AzureOpenAI:MaxRetries was set is read here.
        services.Configure<AzureOpenAIOptions>(o => o.MaxRetriesConfigured = !string.IsNullOrWhiteSpace(configuration[ConfigurationKeys.MaxRetries]));

        services.TryAddSingleton(TimeProvider.System);
        // One credential for the process (it caches tokens); created only when some client needs Entra ID.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());

        // No IHttpClientFactory loggers: theirs are Information-level lines (off: System.Net.Http.HttpClient logs at Warning)
        // plus a log scope opened on every call anyway, which cost measurable CPU per request under load (bench/).
        // Upstream calls are traced by the HttpClient instrumentation, and their failures logged with what they mean.
        services.AddHttpClient(AzureOpenAIClientFactory.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(sp => AzureOpenAIClientFactory.CreateHandler(sp.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value));

        // One client and one circuit breaker per configured upstream (OPENAI_ENDPOINT, or AzureOpenAI:Upstreams).
        services.AddSingleton(sp => AzureOpenAIClientFactory.CreatePool(
            sp.GetRequiredService<IOptions<AzureOpenAIOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(AzureOpenAIClientFactory.HttpClientName),
            sp.GetRequiredService<TokenCredential>,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<IOptions<HealthProbeOptions>>().Value.DeploymentCheckInterval));
        services.AddSingleton<IUpstreamPoolState>(sp => sp.GetRequiredService<UpstreamPool<ChatClient>>());
        services.AddSingleton<AzureOpenAIChatCompletionService>();
        services.AddSingleton<IChatCompletionService>(sp => sp.GetRequiredService<AzureOpenAIChatCompletionService>());
        // POST /openai/v1/chat/completions and /openai/deployments/{deployment}/chat/completions: the same pool, relayed.
        services.AddOpenAICompatible(configuration);
        // GET /health and /health/ready: a probe of the pool's upstreams on documented operations (token-free GET models,
        // plus a max_tokens 1 deployment check at most every Health:DeploymentCheckMinutes), shared and briefly cached.
        services.AddHealthProbesAndTelemetry(configuration);

        services.AddAgents(configuration);
        services.AddClientQuotas(configuration);

        return services;
    }
}
