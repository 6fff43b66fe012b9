using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Grounding;

namespace Wrapper.Infrastructure.Agents;

public static class AgentServiceCollectionExtensions
{
    /// <summary>The embedded simulator's default agents, used in simulated mode: <c>bing-grounding</c> →
    /// <c>asst_bing</c>, <c>plain</c> → <c>asst_plain</c>.</summary>
    public static IReadOnlyDictionary<string, string> SimulatorAgentIds { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [AskGroundedQuestion.AgentName] = "asst_bing",
        [PlainAgent.AgentName] = "asst_plain",
    };

    /// <summary>Registers the Agent Service adapter: options (validated at start), the client, every concrete
    /// <see cref="AgentBase"/> of this assembly, and <see cref="IAgentGateway"/>. Without an endpoint nothing calls
    /// out: the agents answer 503 and /health reports <c>not_configured</c>.</summary>
    public static IServiceCollection AddAgents(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<AgentServiceOptions>().ValidateOnStart();
        services.AddSingleton<IConfigureOptions<AgentServiceOptions>>(new AgentServiceOptionsSetup(configuration));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentServiceOptions>, AgentServiceOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        // Shared with the other Azure clients; created only when a real (not simulated) Agent Service is configured.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.TryAddSingleton(sp => new AgentServiceConnection(
            sp.GetRequiredService<IOptions<AgentServiceOptions>>(),
            sp.GetRequiredService<TokenCredential>,
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<AgentThreadRunner>();

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

    /// <summary>
    /// Points the agents at a simulator instead of Azure: its https endpoint, the one certificate to trust for it
    /// (compared by SHA-256 thumbprint), the bearer token it expects, and its agent ids (by default
    /// <see cref="SimulatorAgentIds"/>), which replace configured ones. Called by the host that embeds the simulator.
    /// </summary>
    public static IServiceCollection UseSimulatedAgentService(this IServiceCollection services, Uri endpoint, X509Certificate2 certificate,
        string token, IReadOnlyDictionary<string, string>? agentIds = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(token);

        services.PostConfigure<AgentServiceOptions>(options =>
        {
            options.Endpoint = endpoint;
            options.EndpointError = null;
            options.Simulated = true;
            options.SimulatorToken = token;
            options.TrustedCertificate = certificate;
            foreach (var (name, id) in agentIds ?? SimulatorAgentIds)
            {
                options.Agents[name] = new AgentDefinition { AgentId = id };
            }
        });
        return services;
    }
}
