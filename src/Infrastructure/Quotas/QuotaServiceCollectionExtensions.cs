using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Quotas;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Infrastructure.Quotas;

public static class QuotaServiceCollectionExtensions
{
    /// <summary>Per-client quotas (<see cref="QuotaOptions"/>, section <c>Quotas</c>) on Redis when <c>Redis:ConnectionString</c>
    /// is set (<see cref="RedisOptions"/>), else in this process; the prompt token counter; the Redis connection.</summary>
    public static IServiceCollection AddClientQuotas(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound at start: a malformed value (e.g. an unknown QuotaPeriod) stops the service naming it, not a request.
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.SectionName)).ValidateOnStart();
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IPromptTokenCounter, O200kPromptTokenCounter>();
        services.AddSingleton<InMemoryQuotaStore>();
        services.AddSingleton(sp => new RedisConnection(sp.GetRequiredService<IOptions<RedisOptions>>(),
            sp.GetRequiredService<TokenCredential>, sp.GetRequiredService<ILogger<RedisConnection>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
        services.AddSingleton(sp => new FailOpenClientQuota(sp.GetRequiredService<IOptions<RedisOptions>>(), sp.GetRequiredService<InMemoryQuotaStore>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WrapperMetrics>(), sp.GetRequiredService<ILogger<FailOpenClientQuota>>(),
            sp.GetRequiredService<RedisConnection>()));
        services.AddSingleton<IClientQuota>(sp => sp.GetRequiredService<FailOpenClientQuota>());
        services.AddSingleton<IQuotaStoreState>(sp => sp.GetRequiredService<FailOpenClientQuota>());
        services.AddHostedService<QuotaStartupReport>();
        // What one instance learns from an upstream's 429, every instance knows (through the same Redis).
        services.AddHostedService(sp => new Resilience.SharedUpstreamThrottling(
            sp.GetRequiredService<Resilience.UpstreamPool<global::OpenAI.Chat.ChatClient>>().PooledUpstreams.Select(m => m.Circuit),
            sp.GetRequiredService<RedisConnection>(), sp.GetRequiredService<IOptions<RedisOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Resilience.SharedUpstreamThrottling>>()));
        return services;
    }
}

/// <summary>Says at start where the per-client limits are counted, loudly when each instance counts on its own.</summary>
internal sealed class QuotaStartupReport(IOptions<QuotaOptions> quotas, IOptions<RedisOptions> redis, ILogger<QuotaStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!quotas.Value.Enabled)
        {
            logger.LogInformation("Per-client quotas are off (no Quotas:Default or Quotas:Clients limits configured)");
        }
        else if (redis.Value.Configured)
        {
            logger.LogInformation("Per-client quotas are counted in Redis, shared by every instance");
        }
        else
        {
            logger.LogWarning("Per-client quotas are counted in this process only (no Redis:ConnectionString): right for a single instance; N instances give each client N times its limits");
        }

        if (quotas.Value.CountsTokens)
        {
            // Off the start path: the first requests wait for it only if they come before it has loaded.
            _ = O200kPromptTokenCounter.PreloadAsync().ContinueWith(
                t => logger.LogError(t.Exception, "Loading the o200k token encoding failed"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
