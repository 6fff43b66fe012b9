using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.OpenAI;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Infrastructure.Health;

public static class HealthServiceCollectionExtensions
{
    /// <summary>The upstream probe (token-free <c>GET models</c>, plus a rare deployment check; see
    /// <see cref="AzureOpenAIDeploymentProbe"/>) behind a shared, briefly cached single flight
    /// (<see cref="IUpstreamHealthProbe"/>), and the model-call metrics (<see cref="WrapperMetrics"/>; the HTTP calls
    /// themselves are measured by the OpenTelemetry HttpClient instrumentation).</summary>
    public static IServiceCollection AddHealthProbesAndTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthProbeOptions>().Bind(configuration.GetSection(HealthProbeOptions.SectionName));
        services.AddSingleton<AzureOpenAIDeploymentProbe>();
        services.AddSingleton<IUpstreamHealthProbe>(sp => new CachedUpstreamHealthProbe(
            sp.GetRequiredService<AzureOpenAIDeploymentProbe>(),
            sp.GetRequiredService<IOptions<HealthProbeOptions>>(),
            sp.GetRequiredService<TimeProvider>()));

        services.AddMetrics();
        services.TryAddSingleton<WrapperMetrics>();
        return services;
    }
}
