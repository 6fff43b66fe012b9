using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;
using Wrapper.Infrastructure.Configuration;

namespace Wrapper.Infrastructure.Agents;

public static class AgentServiceCollectionExtensions
{
    /// <summary>The key of a <see cref="TokenCredential"/> keyed service the host may register for the Agent Service
    /// alone; without one, the shared <see cref="TokenCredential"/> (DefaultAzureCredential) is used.</summary>
    public const string CredentialKey = "AgentService";

    /// <summary>Registers the Agent Service adapter: options (validated at start), the client, every concrete
    /// <see cref="AgentBase"/> of this assembly, and <see cref="IAgentGateway"/>. Without an endpoint nothing calls
    /// out: the agents answer 503 and /health reports <c>not_configured</c>.</summary>
    public static IServiceCollection AddAgents(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.BindWithAliases<AgentServiceOptions>(configuration,
            (AgentServiceOptions.SectionName, ""),
            (AgentServiceOptions.AgentsSectionName, nameof(AgentServiceOptions.Agents)),
            (AgentServiceOptions.EndpointKey, nameof(AgentServiceOptions.Endpoint)),
            (AgentServiceOptions.AgentIdKey, $"{nameof(AgentServiceOptions.Agents)}:{AskGroundedQuestion.AgentName}:{nameof(AgentDefinition.AgentId)}"),
            (AgentServiceOptions.AgentNameKey, $"{nameof(AgentServiceOptions.Agents)}:{AskGroundedQuestion.AgentName}:{nameof(AgentDefinition.AgentName)}"),
            (AgentServiceOptions.AgentVersionKey, $"{nameof(AgentServiceOptions.Agents)}:{AskGroundedQuestion.AgentName}:{nameof(AgentDefinition.AgentVersion)}"));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentServiceOptions>, AgentServiceOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        // Shared with the other Azure clients; created only when some client needs it.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.TryAddSingleton(sp => new OptionalAgentServiceClient(
            sp.GetRequiredService<IOptions<AgentServiceOptions>>(),
            () => sp.GetKeyedService<TokenCredential>(CredentialKey) ?? sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<AgentThreadRunner>();
        services.TryAddSingleton<AgentResponsesRunner>();
        services.TryAddSingleton<AgentRunners>();

        foreach (var type in typeof(AgentBase).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && t.IsSubclassOf(typeof(AgentBase))))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(AgentBase), type));
        }

        services.TryAddSingleton<IAgentGateway, AgentGateway>();
        return services;
    }

    /// <summary>Adds an agent class from another assembly (those of this assembly are added by <see cref="AddAgents"/>).</summary>
    public static IServiceCollection AddAgent<TAgent>(this IServiceCollection services)
        where TAgent : AgentBase
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<AgentBase, TAgent>());
        return services;
    }
}
