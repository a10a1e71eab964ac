using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Woven.Node.Config;

/// <summary>
/// Reads a <c>woven up</c> YAML file into settings, each tagged with FILE:LINE and its key. Only its shape is checked
/// here (known keys, a value where one is expected); what a value means is checked by <see cref="NodeConfiguration"/>,
/// the same way for the file, the environment and the flags. A relative <c>state_dir</c> is taken from the file's directory.
/// </summary>
public static class ConfigFile
{
    public static List<ConfigSetting> Read(string path, List<string> errors)
    {
        var settings = new List<ConfigSetting>();
        if (!File.Exists(path))
        {
            errors.Add($"--config: {path} does not exist; give the path of a YAML file (docs/woven.example.yaml shows every setting)");
            return settings;
        }
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            errors.Add($"{path}:{e.Start.Line}: not valid YAML: {Inner(e)}");
            return settings;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"--config: cannot read {path}: {e.Message}");
            return settings;
        }
        if (yaml.Documents.Count == 0) return settings;
        if (yaml.Documents.Count > 1)
        {
            errors.Add($"{path}:{yaml.Documents[1].RootNode.Start.Line}: a second YAML document; keep all settings in one");
            return settings;
        }
        var root = yaml.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: "" or null }) return settings;
        if (root is not YamlMappingNode map)
        {
            errors.Add($"{path}:{root.Start.Line}: expected settings as 'key: value' lines, e.g. listen: 0.0.0.0:7000");
            return settings;
        }
        var names = ConfigKeys.All.Select(k => k.Name).ToList();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "?";
            string at = $"{path}:{keyNode.Start.Line}: {key}";
            if (!names.Contains(key))
            {
                errors.Add(ConfigKeys.Suggest(key, names) is { } guess
                    ? $"{at}: unknown setting; did you mean {guess}?"
                    : $"{at}: unknown setting; the settings are {string.Join(", ", names)}");
                continue;
            }
            if (key == "logging")
            {
                ReadLogging(path, at, valueNode, settings, errors);
            }
            else if (key == "bootstrap" && valueNode is YamlSequenceNode list)
            {
                var items = new List<ConfigItem>();
                foreach (var item in list.Children)
                {
                    if (Scalar(item) is { } text) items.Add(new ConfigItem(text, $"{path}:{item.Start.Line}: bootstrap"));
                    else errors.Add($"{path}:{item.Start.Line}: bootstrap: each entry is one HOST:PORT");
                }
                settings.Add(new ConfigSetting(key, items));
            }
            else if (Scalar(valueNode) is { } text)
            {
                if (key == "state_dir" && !Path.IsPathRooted(text)) text = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, text));
                settings.Add(ConfigSetting.One(key, text, at));
            }
            else
            {
                errors.Add(valueNode is YamlScalarNode
                    ? $"{at}: no value; give one ({ConfigKeys.ByName(key).Help}) or delete the line"
                    : $"{at}: expected one value, not a {(valueNode is YamlMappingNode ? "mapping" : "list")} ({ConfigKeys.ByName(key).Help})");
            }
        }
        return settings;
    }

    /// <summary>logging: a level for everything (<c>logging: debug</c>) or a mapping of category to level.</summary>
    private static void ReadLogging(string path, string at, YamlNode node, List<ConfigSetting> settings, List<string> errors)
    {
        if (Scalar(node) is { } level)
        {
            settings.Add(ConfigSetting.One("logging.default", level, at));
            return;
        }
        if (node is not YamlMappingNode map)
        {
            errors.Add($"{at}: expected a level (e.g. logging: info) or categories (e.g. logging: {{default: info, overlay: debug}})");
            return;
        }
        var categories = ConfigKeys.LogCategories.Keys.ToList();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            string category = (keyNode as YamlScalarNode)?.Value ?? "?";
            string where = $"{path}:{keyNode.Start.Line}: logging.{category}";
            // A full logger category (Woven.Node.Cluster) is taken as it is.
            bool known = categories.Contains(category) || category.Contains('.', StringComparison.Ordinal);
            if (!known)
            {
                errors.Add(ConfigKeys.Suggest(category, categories) is { } guess
                    ? $"{where}: unknown log category; did you mean {guess}?"
                    : $"{where}: unknown log category; use {string.Join(", ", categories)} or a full logger category such as Woven.Node.Cluster");
                continue;
            }
            if (Scalar(valueNode) is { } text) settings.Add(ConfigSetting.One($"logging.{category}", text, where));
            else errors.Add($"{where}: expected a level: trace, debug, info, warning, error or none");
        }
    }

    /// <summary>The text of a scalar with a value; null for a missing value (empty, ~ or null) and for lists and mappings.</summary>
    private static string? Scalar(YamlNode node) =>
        node is YamlScalarNode { Value: { } v } s && !(s.Style == ScalarStyle.Plain && v is "" or "~" or "null" or "Null" or "NULL") ? v : null;

    private static string Inner(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        int paren = message.IndexOf("): ", StringComparison.Ordinal);
        return paren >= 0 && message.StartsWith('(') ? message[(paren + 3)..] : message;
    }
}
