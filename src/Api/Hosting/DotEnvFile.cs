namespace Wrapper.Api.Hosting;

/// <summary>Loads <c>.env</c> from the working directory (only there, never from parent directories) into the
/// process environment. Variables that are already set keep their values: the real environment wins.</summary>
public static class DotEnvFile
{
    public const string FileName = ".env";

    /// <summary>Returns the path loaded, or null when there is no <c>.env</c> in the working directory.</summary>
    public static string? LoadFromWorkingDirectory()
    {
        var path = Path.Combine(Directory.GetCurrentDirectory(), FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        DotNetEnv.Env.NoClobber().Load(path);
        return path;
    }
}
