using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Infrastructure.OpenAI;

public static class OpenAICompatibleServiceCollectionExtensions
{
    /// <summary>The OpenAI-compatible relay (<see cref="AzureOpenAIChatRelay"/>) on the shared upstream pool, and its
    /// model map (<see cref="OpenAICompatibleOptions"/>).</summary>
    public static IServiceCollection AddOpenAICompatible(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OpenAICompatibleOptions>().Bind(configuration.GetSection(OpenAICompatibleOptions.SectionName));
        services.AddSingleton<AzureOpenAIChatRelay>();
        services.AddSingleton<IChatCompletionRelay>(sp => sp.GetRequiredService<AzureOpenAIChatRelay>());
        return services;
    }
}
