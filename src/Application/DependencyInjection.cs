using Microsoft.Extensions.DependencyInjection;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Behaviours;

namespace Wrapper.Application;

public static class DependencyInjection
{
    /// <summary>Registers MediatR 5.1.0 by hand (its DI package does not restore here), the handlers of this
    /// assembly, the validators and the pipeline behaviours (logging outermost, then validation, then the per-client quotas).</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddOptions<ChatOptions>().ValidateDataAnnotations().ValidateOnStart();

        services.AddScoped<ServiceFactory>(sp => sp.GetService!);
        services.AddScoped<IMediator, Mediator>();

        var assembly = typeof(DependencyInjection).Assembly;
        foreach (var type in assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false }))
        {
            foreach (var contract in type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequestHandler<,>)))
            {
                services.AddTransient(contract, type);
            }
        }

        services.AddValidatorsFromAssembly(assembly, ServiceLifetime.Singleton, includeInternalTypes: true);

        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(LoggingBehaviour<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(ValidationBehaviour<,>));
        // Innermost: only valid requests are counted against the caller's limits.
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(Quotas.QuotaBehaviour<,>));
        services.AddScoped<Quotas.QuotaStatus>();
        return services;
    }
}
